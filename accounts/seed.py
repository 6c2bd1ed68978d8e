"""Demo users for ``manage.py seed_demo`` (idempotent).

The demo buyer and sellers are verified adults (submitted and approved through
``accounts.services``, the moderator as the approver); one more demo user waits in
the moderators' verification queue.
"""

from __future__ import annotations

import datetime as dt
import io

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from stdnum.cn import ric

from kernel.uploads import clean_image

from . import services
from .models import IdentityVerification, User
from .permissions import MODERATORS_GROUP

DEMO_PASSWORD = "handoff-demo-2026"  # noqa: S105 - printed demo login, demo data only
# A fixed base32 secret so the printed demo login is reproducible. Demo only.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - demo only

DEMO_USERS = {
    "buyer": {"email": "buyer@demo.handoff.test", "display_name": "Demo Buyer"},
    "seller": {"email": "seller@demo.handoff.test", "display_name": "Demo Seller"},
    "seller2": {"email": "seller2@demo.handoff.test", "display_name": "Studio Lin"},
    "applicant": {"email": "applicant@demo.handoff.test", "display_name": "Demo Applicant"},
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


def _resident_id(birth: dt.date, seq: str) -> str:
    body = f"110101{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


# Demo identities (fictional). The seller uses a resident ID card, the buyer a passport.
DEMO_IDENTITIES = {
    "seller": {
        "legal_name": "陈晓明 Chen Xiaoming",
        "document_type": "cn_resident_id",
        "birth": dt.date(1992, 5, 20),
        "number": lambda b: _resident_id(b, "031"),
        "country": "CN",
    },
    "seller2": {
        "legal_name": "林静 Lin Jing",
        "document_type": "cn_resident_id",
        "birth": dt.date(1988, 11, 3),
        "number": lambda b: _resident_id(b, "042"),
        "country": "CN",
    },
    "buyer": {
        "legal_name": "Alex Morgan",
        "document_type": "passport",
        "birth": dt.date(1990, 7, 14),
        "number": lambda b: "C01X00T47",
        "country": "DE",
    },
    "applicant": {
        "legal_name": "王芳 Wang Fang",
        "document_type": "cn_resident_id",
        "birth": dt.date(1996, 8, 17),
        "number": lambda b: _resident_id(b, "058"),
        "country": "CN",
    },
}


def _demo_document_photo(name: str):
    """A fake ID card picture (no number on it), cleaned like a real upload."""
    image = Image.new("RGB", (640, 400), (232, 240, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 639, 60], fill=(15, 118, 110))
    draw.text((20, 22), "HANDOFF DEMO IDENTITY DOCUMENT - NOT A REAL ID", fill=(255, 255, 255))
    draw.rectangle([430, 100, 600, 320], fill=(190, 200, 205), outline=(120, 130, 140))
    draw.ellipse([475, 140, 555, 220], fill=(150, 160, 170))
    draw.text((30, 110), "NAME", fill=(90, 100, 110))
    draw.text((30, 130), name.encode("ascii", "ignore").decode().strip(), fill=(20, 30, 40))
    for row in range(5):
        draw.rectangle([30, 180 + row * 30, 380 - row * 40, 192 + row * 30], fill=(200, 210, 215))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    upload = SimpleUploadedFile("demo-id.png", buffer.getvalue(), content_type="image/png")
    return clean_image(upload).content


def _ensure_verification(user: User, key: str, *, approve_by: User | None) -> None:
    """Submit (and, with ``approve_by``, approve) the demo identity once: never again
    after a moderator decided it (a rejected applicant stays rejected when the demo
    is seeded again), nor while one is live or pending."""
    if IdentityVerification.objects.filter(user=user).exists():
        return
    if services.can_submit_verification(user) is not None:
        return
    identity = DEMO_IDENTITIES[key]
    verification = services.submit_verification(
        user=user,
        submission=services.VerificationSubmission(
            legal_name=identity["legal_name"],
            document_type=identity["document_type"],
            document_number=identity["number"](identity["birth"]),
            date_of_birth=identity["birth"],
            country=identity["country"],
        ),
        document_image=_demo_document_photo(identity["legal_name"]),
        language="en",
    )
    if approve_by is not None:
        services.approve_verification(
            verification_id=verification.pk,
            actor=approve_by,
            reason="Demo data: document checked.",
        )


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
    for key in ("buyer", "seller", "seller2"):
        _ensure_verification(context[key], key, approve_by=context["moderator"])
    _ensure_verification(context["applicant"], "applicant", approve_by=None)
    context.setdefault("logins", []).extend(
        [
            ("buyer (verified)", DEMO_USERS["buyer"]["email"]),
            ("seller (verified)", DEMO_USERS["seller"]["email"]),
            ("second seller (verified)", DEMO_USERS["seller2"]["email"]),
            ("applicant (identity check)", DEMO_USERS["applicant"]["email"]),
            ("moderator", DEMO_USERS["moderator"]["email"]),
            ("second moderator", DEMO_USERS["moderator2"]["email"]),
            ("operator (superuser)", DEMO_USERS["admin"]["email"]),
        ]
    )
