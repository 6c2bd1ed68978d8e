"""Pieces of the settings that depend on how the site is deployed (issue 23):
secret-key vetting, media storage (local files or S3-compatible), logging, the
error-reporting hook. Plain functions of the environment, imported by settings.py
before Django is set up, so nothing here may import models or ``django.conf``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

# Words that only a copied example or a human-made key contains.
_PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "change_me",
    "replace",
    "example",
    "placeholder",
    "your-secret",
    "password-generator",
    "random-characters",
)


def secret_key_problem(key: str, *, dev_key: str) -> str | None:
    """Why ``key`` is unfit for production, or None. Refuses the development key, a
    key shorter than 50 characters or with few distinct ones (Django's W009), a key
    copied from an example file, and a key of words (letters and separators only:
    a generator's output has digits or symbols)."""
    if not key:
        return "SECRET_KEY is not set."
    if key.startswith("django-insecure") or key == dev_key:
        return "SECRET_KEY is the development default."
    lowered = key.lower()
    if any(marker in lowered for marker in _PLACEHOLDER_MARKERS):
        return "SECRET_KEY is the placeholder from an example file: generate one."
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY is too weak: use at least 50 random characters."
    if re.fullmatch(r"[A-Za-z\s._-]+", key):
        return "SECRET_KEY looks like words, not random characters: generate one."
    return None


def production_key_problems(env) -> list[str]:
    """Keys that would only fail at first use under gunicorn (which runs no system
    checks): an invalid Fernet key, a guessable metrics token."""
    from cryptography.fernet import Fernet

    problems = []
    for index, key in enumerate(env.list("FIELD_ENCRYPTION_KEYS", default=[])):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(f"FIELD_ENCRYPTION_KEYS[{index}] is not a Fernet key.")
    token = env.str("METRICS_TOKEN", default="")
    if token and len(token) < 24:
        problems.append("METRICS_TOKEN is too short: use 24+ random characters.")
    return problems


def placeholders_left(environ) -> list[str]:
    """Names of the variables still holding .env.production.example's CHANGE-ME."""
    return sorted(name for name, value in environ.items() if "change-me" in value.lower())


def media_storages(env, *, var_dir: Path) -> tuple[dict, dict, bool]:
    """(default storage, private storage, on S3) from the environment.

    Without ``S3_BUCKET`` both are local folders (``MEDIA_ROOT``, and
    ``PRIVATE_MEDIA_ROOT`` outside any public URL). With it, both live in
    S3-compatible object storage so every web node and worker sees the same files:
    public media under ``media/`` (plain URLs, or ``S3_PUBLIC_URL``), private files
    under ``private/`` (or ``S3_PRIVATE_BUCKET``), never public-read; the
    permission-checked views stream them (kernel.private_files), and any URL
    the storage makes for them is signed and expires after ``S3_SIGNED_URL_SECONDS``.
    """
    bucket = env.str("S3_BUCKET", default="")
    if not bucket:
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        private = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": env.str("PRIVATE_MEDIA_ROOT", default=str(var_dir / "private")),
                "base_url": None,
            },
        }
        return default, private, False
    common = {
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("S3_REGION", default="") or None,
        "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
        "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
        "signature_version": "s3v4",
        "file_overwrite": False,
    }
    public_url = env.str("S3_PUBLIC_URL", default="").rstrip("/")
    default = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **common,
            "bucket_name": bucket,
            "location": "media",
            "querystring_auth": False,
            # Empty where the bucket's policy grants public reads (ACLs disabled).
            "default_acl": env.str("S3_PUBLIC_ACL", default="public-read") or None,
            # The public names are random; the proxy or a CDN may serve them.
            "custom_domain": public_url.split("://", 1)[-1] if public_url else None,
            "url_protocol": (public_url.split("://", 1)[0] + ":") if public_url else "https:",
        },
    }
    private = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **common,
            "bucket_name": env.str("S3_PRIVATE_BUCKET", default="") or bucket,
            "location": "private",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("S3_SIGNED_URL_SECONDS", default=60),
            "custom_domain": None,
        },
    }
    return default, private, True


def logging_config(*, fmt: str, level: str) -> dict:
    """Plain lines by default; one JSON object per line with ``LOG_FORMAT=json``."""
    if fmt not in {"plain", "json"}:
        raise ValueError(f"LOG_FORMAT must be 'plain' or 'json', not {fmt!r}.")
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "marketplace.logs.JsonFormatter"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": fmt}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


def init_error_reporting(env, *, environment: str) -> bool:
    """Start sentry-sdk when ``SENTRY_DSN`` is set (Django and Celery errors are
    then reported); nothing is sent otherwise. sentry-sdk 3 sends no personal data
    (no user, cookies or bodies) unless told to."""
    dsn = env.str("SENTRY_DSN", default="")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=env.str("SENTRY_ENVIRONMENT", default=environment),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        # Logged errors too (a payout given up, an e-mail refused), not only crashes.
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(event_level=logging.ERROR),
        ],
    )
    return True
