"""Start-up checks that refuse a broken configuration (run by every manage.py command)."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string


@register(Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    errors = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(Error("FIELD_ENCRYPTION_KEYS is empty.", id="handoff.E001"))
    for index, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS[{index}] is not a valid Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'",
                    id="handoff.E002",
                )
            )
    if len(settings.DOCUMENT_HASH_KEY) < 32:
        errors.append(Error("DOCUMENT_HASH_KEY must be at least 32 characters.", id="handoff.E003"))
    return errors


@register()
def check_adapters(app_configs, **kwargs):
    """The payment gateway and identity provider named in settings must import."""
    errors = []
    for name in ("PAYMENT_GATEWAY", "IDENTITY_PROVIDER"):
        path = getattr(settings, name, "")
        if not path:
            continue
        try:
            adapter = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name}={path!r} cannot be imported: {exc}", id="handoff.E010"))
            continue
        check = getattr(adapter, "check_configuration", None)
        if check is not None:
            for problem in check():
                errors.append(Error(f"{name}: {problem}", id="handoff.E011"))
    return errors
