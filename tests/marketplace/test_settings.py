"""Production settings refuse insecure values; with good values check --deploy is clean."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k7#Qm2v!pX9zL4rT8wB1nC6yH3jF5dS0aG-eU_iO+lK=mN@xV%bZ^cR&tY*uP(qW)"


def _production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HANDOFF_"))}
    env.update(
        HANDOFF_ENV="production",
        HANDOFF_READ_DOTENV="0",
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="handoff.example.com",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DOCUMENT_HASH_KEY="d" * 20 + "0123456789abcdefghij",
        PAYMENT_GATEWAY="escrow.gateways.stripe.StripeGateway",
        STRIPE_SECRET_KEY="sk_test_deploycheck",
        STRIPE_PUBLISHABLE_KEY="pk_test_deploycheck",
        STRIPE_WEBHOOK_SECRET="whsec_deploycheck",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/handoff-deploy-check.sqlite3"),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_missing_secret_key():
    result = _manage("check", env=_production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_weak_secret_key():
    result = _manage("check", env=_production_env(SECRET_KEY="short-and-weak"))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_refuses_development_key_and_debug():
    result = _manage(
        "check",
        env=_production_env(
            SECRET_KEY="django-insecure-handoff-development-key-never-use-in-production",
            DEBUG="true",
        ),
    )
    assert result.returncode != 0
    assert "development default" in result.stderr
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_the_simulated_gateway():
    result = _manage(
        "check", env=_production_env(PAYMENT_GATEWAY="escrow.gateways.simulated.SimulatedGateway")
    )
    assert result.returncode != 0
    assert "simulated gateway moves no real money" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
