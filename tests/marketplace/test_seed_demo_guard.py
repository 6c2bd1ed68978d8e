"""seed_demo refuses production settings: its superuser's password and TOTP secret
are published, so a live site must never get them (issue 18, item 8)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User

from .test_settings import _manage, _production_env


def test_seed_demo_exits_non_zero_under_production_settings(tmp_path):
    db = tmp_path / "live.sqlite3"
    result = _manage("seed_demo", env=_production_env(DATABASE_URL=f"sqlite:///{db}"))
    assert result.returncode != 0
    assert "seed_demo refuses to run in production" in result.stderr
    assert "Demo data ready" not in result.stdout
    assert not db.exists() or db.stat().st_size == 0  # nothing written, not even tables


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"HANDOFF_ENV": "production", "PRODUCTION": True},
        {"DEBUG": False, "SESSION_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True},
        {"DEBUG": False, "PAYMENT_GATEWAY": "escrow.gateways.stripe.StripeGateway"},
    ],
    ids=["handoff-env", "secure-cookies-debug-off", "real-gateway-debug-off"],
)
def test_seed_demo_refuses_and_writes_nothing(overrides):
    with override_settings(**overrides), pytest.raises(CommandError, match="refuses"):
        call_command("seed_demo", listings=2, stdout=io.StringIO())
    assert not User.objects.exists()
