"""Helpers for identity-verification tests: valid resident ID numbers, uploads, moderators."""

from __future__ import annotations

import datetime as dt
import io
import json

import stripe
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from stdnum.cn import ric as stdnum_ric

from accounts import services
from accounts.permissions import MODERATORS_GROUP
from tests.factories import UserFactory, document_photo


class FakeStripeHTTP(stripe.HTTPClient):
    """Stripe Identity's network stand-in: records requests and answers like Stripe's
    API for one session (``session_id``); any other session read back is a 404."""

    name = "fake"

    def __init__(self, status=200, session_id="vs_test_123"):
        super().__init__()
        self.calls = []
        self.status = status
        self.session_id = session_id
        #: What Stripe says of the session when it is read back (GET).
        self.session_status = "verified"
        self.last_error = None
        #: The date of birth Stripe read on the document (``{day, month, year}``).
        self.verified_dob = None
        #: Answer a read that expands the date of birth as a key without that right.
        self.refuse_expand = False

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append((method, url, headers, post_data))
        if self.status != 200:
            body = {"error": {"type": "api_error", "message": "Stripe is down"}}
            return json.dumps(body), self.status, {}
        if method == "get" and self.refuse_expand and "expand" in url:
            body = {"error": {"type": "invalid_request_error", "code": "parameter_unknown"}}
            return json.dumps(body), 403, {}
        if method == "get" and not url.split("?")[0].endswith(f"/{self.session_id}"):
            body = {"error": {"type": "invalid_request_error", "message": "No such session"}}
            return json.dumps(body), 404, {}
        body = {
            "id": self.session_id,
            "object": "identity.verification_session",
            # A new session waits for the user's input; a read-back says what it is now.
            "status": "requires_input" if method == "post" else self.session_status,
            "last_error": None if method == "post" else self.last_error,
            "url": "https://verify.stripe.com/start/test_abc",
            "client_secret": f"{self.session_id}_secret",
        }
        if method == "get" and self.verified_dob is not None and "expand" in url:
            body["verified_outputs"] = {"dob": self.verified_dob}
        return json.dumps(body), 200, {"request-id": "req_1"}

    def close(self):
        pass


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def ric(birth: dt.date, *, seq: str = "123", region: str = "110101") -> str:
    """A resident ID number with a valid check digit encoding ``birth``."""
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + stdnum_ric.calc_check_digit(body + "0")


def png_bytes(size=(80, 50), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name="id.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


def moderator(**kwargs):
    """Staff in the Moderators group, with TOTP enabled (as the admin requires)."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(user, TOTP_SECRET)
    return user


def submit(
    user,
    *,
    number: str | None = None,
    birth: dt.date = dt.date(1990, 3, 14),
    document_type: str = "cn_resident_id",
    country: str = "CN",
    name: str = "Li Hua",
    now=None,
    selfie: bool = False,
):
    if number is None:
        number = ric(birth) if document_type == "cn_resident_id" else "E12345678"
    return services.submit_verification(
        user=user,
        submission=services.VerificationSubmission(
            legal_name=name,
            document_type=document_type,
            document_number=number,
            date_of_birth=birth,
            country=country,
        ),
        document_image=document_photo(),
        selfie_image=document_photo((10, 10, 200)) if selfie else None,
        now=now,
    )


def form_data(**overrides) -> dict:
    birth = overrides.pop("birth", dt.date(1990, 3, 14))
    data = {
        "legal_name": "Li Hua",
        "document_type": "cn_resident_id",
        "document_number": ric(birth),
        "date_of_birth": birth.isoformat(),
        "country": "CN",
        "document_image": png_upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
