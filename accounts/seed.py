"""Demo users for ``manage.py seed_demo`` (idempotent)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from .models import User
from .permissions import MODERATORS_GROUP

DEMO_PASSWORD = "handoff-demo-2026"  # noqa: S105 - printed demo login, demo data only
# A fixed base32 secret so the printed demo login is reproducible. Demo only.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - demo only

DEMO_USERS = {
    "buyer": {"email": "buyer@demo.handoff.test", "display_name": "Demo Buyer"},
    "seller": {"email": "seller@demo.handoff.test", "display_name": "Demo Seller"},
    "seller2": {"email": "seller2@demo.handoff.test", "display_name": "Studio Lin"},
    "moderator": {
        "email": "moderator@demo.handoff.test",
        "display_name": "Demo Moderator",
        "staff": True,
    },
    "moderator2": {
        "email": "moderator2@demo.handoff.test",
        "display_name": "Second Moderator",
        "staff": True,
    },
    "admin": {
        "email": "admin@demo.handoff.test",
        "display_name": "Demo Operator",
        "superuser": True,
    },
}


def _ensure_user(email: str, display_name: str, *, staff=False, superuser=False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        if superuser:
            user = User.objects.create_superuser(email, DEMO_PASSWORD, display_name=display_name)
        else:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, display_name=display_name, is_staff=staff
            )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    if staff or superuser:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        if not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.RECOVERY_CODES
        ).exists():
            RecoveryCodes.activate(user)
    if staff:
        user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


def recovery_codes(user: User) -> list[str]:
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(auth).get_unused_codes()


def seed(*, context: dict, options: dict, out) -> None:
    for key, spec in DEMO_USERS.items():
        context[key] = _ensure_user(
            spec["email"],
            spec["display_name"],
            staff=spec.get("staff", False),
            superuser=spec.get("superuser", False),
        )
    context.setdefault("logins", []).extend(
        [
            ("buyer", DEMO_USERS["buyer"]["email"]),
            ("seller", DEMO_USERS["seller"]["email"]),
            ("moderator", DEMO_USERS["moderator"]["email"]),
            ("second moderator", DEMO_USERS["moderator2"]["email"]),
            ("operator (superuser)", DEMO_USERS["admin"]["email"]),
        ]
    )
