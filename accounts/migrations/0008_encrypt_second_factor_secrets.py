"""Second factors' secrets (allauth's TOTP key and recovery codes' seed) encrypted
at rest (accounts.adapter.MFAAdapter). Rows written before it hold them in the
clear: this encrypts them; a value that already opens with a field key is left."""

from django.db import migrations

from kernel import crypto

SECRET_KEYS = ("secret", "seed")


def _is_token(value: str) -> bool:
    try:
        crypto.decrypt(value)
    except (crypto.InvalidToken, ValueError, UnicodeError):
        return False
    return True


def encrypt_secrets(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.order_by("pk").iterator():
        data = dict(row.data or {})
        changed = False
        for key in SECRET_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value and not _is_token(value):
                data[key] = crypto.encrypt(value)
                changed = True
        if changed:
            Authenticator.objects.filter(pk=row.pk).update(data=data)


def decrypt_secrets(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.order_by("pk").iterator():
        data = dict(row.data or {})
        changed = False
        for key in SECRET_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value and _is_token(value):
                data[key] = crypto.decrypt(value)
                changed = True
        if changed:
            Authenticator.objects.filter(pk=row.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_identity_document_scope"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False)]
