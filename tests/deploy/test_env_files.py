"""The example environment files: complete, safe to copy for local use, and the
production example refused until its placeholders are replaced; HANDOFF_VAR_DIR and
the Redis URLs as an operator sets them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILES = [ROOT / "marketplace/settings.py", ROOT / "marketplace/settings_env.py"]
STRONG_KEY = "k7#Qm2v!pX9zL4rT8wB1nC6yH3jF5dS0aG-eU_iO+lK=mN@xV%bZ^cR&tY*uP(qW)"


def _read_names() -> set[str]:
    names = set()
    pattern = re.compile(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", re.S)
    for path in SETTINGS_FILES:
        names |= set(pattern.findall(path.read_text()))
    return names


def _listed(path: Path) -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", path.read_text(), re.M))


def _clean_env(**overrides) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "HANDOFF_", "PYTEST"))
        and k not in _read_names() | {"PROMETHEUS_MULTIPROC_DIR"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_reads_many_variables_so_the_scan_works():
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "RATE_LIMIT_REPORT"} <= _read_names()


@pytest.mark.parametrize("example", [".env.example", ".env.production.example"])
def test_every_variable_the_settings_read_is_in_the_example(example):
    missing = _read_names() - _listed(ROOT / example)
    assert not missing, f"{example} lacks {sorted(missing)}"


def test_env_example_copied_as_is_runs_locally(tmp_path):
    dotenv = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text()
    dotenv.write_text(text.replace("HANDOFF_VAR_DIR=./var", f"HANDOFF_VAR_DIR={tmp_path}/var"))
    env = _clean_env(HANDOFF_DOTENV=str(dotenv))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = _python(
        "from django.conf import settings as s; "
        "print(s.PRODUCTION, s.DATABASES['default']['ENGINE'], s.VAR_DIR, "
        "s.CELERY_BROKER_URL, s.CELERY_BEAT_SCHEDULER)",
        env,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        f"{tmp_path}/var",  # HANDOFF_VAR_DIR from the .env file is honoured
        "filesystem://",
        "marketplace.beat.PersistentScheduler",
    ]


def test_relative_var_dir_is_taken_from_the_project_folder(tmp_path):
    name = f"{tmp_path.name}-never"
    env = _clean_env(HANDOFF_READ_DOTENV="0", HANDOFF_VAR_DIR=name)
    try:
        shown = _python("from django.conf import settings as s; print(s.VAR_DIR)", env)
        assert shown.stdout.strip() == str(ROOT / name), shown.stderr
        assert not (ROOT / name).exists()  # importing settings makes no folder
    finally:
        shutil.rmtree(ROOT / name, ignore_errors=True)


def test_importing_settings_writes_nothing_and_the_file_broker_makes_its_folders(tmp_path):
    var = tmp_path / "var"
    env = _clean_env(HANDOFF_READ_DOTENV="0", HANDOFF_VAR_DIR=str(var))
    shown = _python("from django.conf import settings as s; print(s.CELERY_BROKER_URL)", env)
    assert shown.stdout.strip() == "filesystem://", shown.stderr
    assert not var.exists()
    # A task sent on the file broker (make run's web process) lands in its folder.
    sent = _python("from marketplace.celery import app; app.send_task('handoff.probe')", env)
    assert sent.returncode == 0, sent.stderr
    assert [p.name for p in (var / "broker").glob("*.msg")], sorted(var.rglob("*"))


def test_production_example_is_refused_until_its_placeholders_are_replaced(tmp_path):
    dotenv = tmp_path / "handoff.env"
    dotenv.write_text((ROOT / ".env.production.example").read_text())
    env = _clean_env(HANDOFF_DOTENV=str(dotenv), HANDOFF_READ_DOTENV="1")
    result = _python("", env)
    assert result.returncode != 0
    assert "SECRET_KEY is the placeholder" in result.stderr
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr
    assert "CHANGE-ME" in result.stderr and "STRIPE_SECRET_KEY" in result.stderr
    assert "DATABASE_URL" in result.stderr  # the password placeholder too


PLACEHOLDERS = [
    "CHANGE-ME-generate-a-random-key",
    "change-me-to-50-plus-random-characters-from-a-password-generator",
    "changeme" * 8,
    "replace-this-with-fifty-or-more-random-characters-please-ok",
    "your-secret-key-goes-here-and-it-must-be-long-enough-to-pass",
    "this-is-a-long-but-human-made-secret-key-for-production-use",
]


@pytest.mark.parametrize("key", PLACEHOLDERS)
def test_production_refuses_placeholder_and_word_keys(key):
    env = _clean_env(
        HANDOFF_ENV="production",
        HANDOFF_READ_DOTENV="0",
        SECRET_KEY=key,
        ALLOWED_HOSTS="handoff.example.com",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DOCUMENT_HASH_KEY="d" * 20 + "0123456789abcdefghij",
    )
    result = _python("", env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_accepts_a_generated_key():
    env = _clean_env(
        HANDOFF_ENV="production",
        HANDOFF_READ_DOTENV="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="handoff.example.com",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DOCUMENT_HASH_KEY="d" * 20 + "0123456789abcdefghij",
    )
    assert _python("", env).returncode == 0


def test_one_redis_url_or_a_broker_and_a_cache_of_their_own():
    code = (
        "from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'], s.CELERY_BEAT_SCHEDULER, "
        "getattr(s, 'CELERY_REDBEAT_REDIS_URL', '-'))"
    )
    one = _python(code, _clean_env(HANDOFF_READ_DOTENV="0", REDIS_URL="redis://r:6379/0"))
    assert one.stdout.split() == [
        "redis://r:6379/0",
        "redis://r:6379/0",
        "marketplace.beat.RedBeatScheduler",
        "redis://r:6379/0",
    ]
    two = _python(
        code,
        _clean_env(
            HANDOFF_READ_DOTENV="0",
            REDIS_URL="redis://r:6379/0",
            BROKER_URL="redis://broker:6379/0",
            CACHE_URL="redis://cache:6379/1",
        ),
    )
    assert two.stdout.split() == [
        "redis://broker:6379/0",
        "redis://cache:6379/1",
        "marketplace.beat.RedBeatScheduler",
        "redis://broker:6379/0",  # the beat's lock and schedule live with the broker
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEYS[0] is not a Fernet"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN is too short"),
    ],
)
def test_production_refuses_keys_that_would_only_fail_at_first_use(overrides, message):
    values = {
        "HANDOFF_ENV": "production",
        "HANDOFF_READ_DOTENV": "0",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "handoff.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DOCUMENT_HASH_KEY": "d" * 20 + "0123456789abcdefghij",
    }
    result = _python("", _clean_env(**{**values, **overrides}))
    assert result.returncode != 0 and message in result.stderr
