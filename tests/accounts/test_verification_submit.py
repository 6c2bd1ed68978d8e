"""Submitting /verify/: checks, the ban on minors, duplicates, bad input."""

import datetime as dt
import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.exceptions import VerificationRefused
from accounts.models import AuditEntry, IdentityVerification, ImpersonationFlag, User
from accounts.signals import possible_impersonation
from governance.policy import can
from tests.accounts.identity_helpers import form_data, moderator, png_bytes, ric, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def _post(client, **overrides):
    return client.post("/verify/", form_data(**overrides))


def test_anonymous_is_sent_to_login(client):
    response = client.get("/verify/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_submits_and_waits_for_review(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/verify/")
    assert response.status_code == 200
    assert b"Verify your identity" in response.content

    response = _post(client)
    assert response.status_code == 302
    verification = IdentityVerification.objects.get(user=user)
    assert verification.state == "pending"
    assert verification.provider == "manual"
    assert verification.document_last4 == ric(dt.date(1990, 3, 14))[-4:]
    user.refresh_from_db()
    assert user.verification_status == "pending"
    assert not can(user, "sell")
    # the photo is in private storage, re-encoded, never under MEDIA_ROOT
    assert storages["private"].exists(verification.document_image.name)
    response = client.get("/verify/")
    assert b"We are checking your documents" in response.content


def test_invalid_checksum_is_a_field_error_and_the_rest_of_the_form_is_kept(client):
    user = UserFactory()
    client.force_login(user)
    good = ric(dt.date(1990, 3, 14))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = _post(client, document_number=bad, legal_name="Wang Fang")
    assert response.status_code == 200
    form = response.context["form"]
    assert "check digit" in form.errors["document_number"][0]
    html = response.content.decode()
    assert 'value="Wang Fang"' in html
    assert 'value="1990-03-14"' in html
    assert bad not in html  # the number is not echoed back
    assert not IdentityVerification.objects.exists()


def test_declared_birth_date_differs_from_the_encoded_one(client):
    client.force_login(UserFactory())
    response = _post(client, document_number=ric(dt.date(1990, 3, 14)), date_of_birth="1990-04-14")
    assert response.status_code == 200
    assert "does not match" in response.context["form"].errors["date_of_birth"][0]
    assert not IdentityVerification.objects.exists()


def test_passport_with_bad_format_is_a_field_error(client):
    client.force_login(UserFactory())
    response = _post(client, document_type="passport", document_number="12-34")
    assert "passport number" in response.context["form"].errors["document_number"][0]


def test_empty_form_gives_field_errors_not_a_500(client):
    client.force_login(UserFactory())
    response = client.post("/verify/", {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in ("legal_name", "document_type", "document_number", "date_of_birth", "country"):
        assert field in errors
    assert "document_image" in errors


def test_whitespace_only_name_is_refused(client):
    client.force_login(UserFactory())
    response = _post(client, legal_name="   ")
    assert "legal_name" in response.context["form"].errors


@pytest.mark.parametrize(
    "value", ["2999-01-01", "1800-01-01", "2023-02-30", "99999-01-01", "0000-00-00", "yesterday"]
)
def test_absurd_birth_dates_are_field_errors(client, value):
    client.force_login(UserFactory())
    response = _post(client, date_of_birth=value)
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    assert not IdentityVerification.objects.exists()


def test_non_image_upload_is_refused(client):
    client.force_login(UserFactory())
    upload = SimpleUploadedFile("id.png", b"just some text, not a picture", "image/png")
    response = _post(client, document_image=upload)
    # The error says what the file really is (issue 22), beside its field.
    assert "text file" in response.context["form"].errors["document_image"][0]
    assert not IdentityVerification.objects.exists()


def test_forged_content_type_is_refused(client):
    client.force_login(UserFactory())
    pdf_as_jpeg = SimpleUploadedFile("id.jpg", b"%PDF-1.4\n%fake\n", "image/jpeg")
    response = _post(client, document_image=pdf_as_jpeg)
    assert "document_image" in response.context["form"].errors
    svg = SimpleUploadedFile(
        "id.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/png"
    )
    response = _post(client, document_image=svg)
    assert "document_image" in response.context["form"].errors
    gif = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (10, 10)).save(gif, "GIF")
    response = _post(
        client, document_image=SimpleUploadedFile("id.png", gif.getvalue(), "image/png")
    )
    assert "document_image" in response.context["form"].errors
    assert not IdentityVerification.objects.exists()


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_oversized_upload_is_refused(client):
    client.force_login(UserFactory())
    big = SimpleUploadedFile("id.png", png_bytes(size=(400, 400)) + b"\0" * 2048, "image/png")
    response = _post(client, document_image=big)
    assert "too large" in response.context["form"].errors["document_image"][0]


def test_bad_selfie_is_refused_and_optional_selfie_may_be_absent(client):
    client.force_login(UserFactory())
    response = _post(client, selfie_image=SimpleUploadedFile("s.jpg", b"nope", "image/jpeg"))
    assert "selfie_image" in response.context["form"].errors
    assert _post(client).status_code == 302


# ------------------------------------------------------------------------ minors


def test_seventeen_years_364_days_is_refused_and_marked_minor():
    user = UserFactory()
    birth = dt.date(2008, 6, 16)  # turns 18 tomorrow (Shanghai calendar)
    with pytest.raises(VerificationRefused) as exc:
        submit(user, birth=birth, now=NOW)
    assert exc.value.code == "minor"
    user.refresh_from_db()
    assert user.is_minor
    assert not IdentityVerification.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="accounts.user.marked_minor").count() == 1
    assert not can(user, "buy") and not can(user, "sell")
    assert can(user, "browse")


def test_eighteen_years_exactly_is_accepted():
    user = UserFactory()
    verification = submit(user, birth=dt.date(2008, 6, 15), now=NOW)
    assert verification.state == "pending"
    user.refresh_from_db()
    assert not user.is_minor


def test_born_29_february_is_adult_only_from_1_march():
    birth = dt.date(2008, 2, 29)
    feb_28 = dt.datetime(2026, 2, 28, 4, tzinfo=dt.UTC)
    mar_1 = dt.datetime(2026, 3, 1, 4, tzinfo=dt.UTC)
    minor = UserFactory()
    with pytest.raises(VerificationRefused):
        submit(minor, birth=birth, now=feb_28)
    adult = UserFactory()
    assert submit(adult, birth=birth, number=ric(birth, seq="456"), now=mar_1).state == "pending"


def test_minor_sees_a_plain_explanation_and_cannot_resubmit_with_another_birth_date(client):
    user = UserFactory()
    client.force_login(user)
    young = timezone.localdate() - dt.timedelta(days=16 * 365)
    response = _post(client, birth=young)
    assert response.status_code == 302
    response = client.get("/verify/")
    html = response.content.decode()
    assert "at least 18 years old" in html
    assert "only they can lift the mark" in html
    assert 'name="document_number"' not in html  # no form offered

    response = _post(client, birth=dt.date(1990, 3, 14))
    assert response.status_code == 302
    assert not IdentityVerification.objects.filter(user=user).exists()
    with pytest.raises(VerificationRefused) as exc:
        submit(user, birth=dt.date(1990, 3, 14))
    assert exc.value.code == "minor_marked"
    user.refresh_from_db()
    assert user.is_minor


def test_only_a_moderator_lifts_the_minor_mark_and_it_is_audited():
    user = UserFactory()
    with pytest.raises(VerificationRefused):
        submit(user, birth=dt.date(2015, 1, 1))
    mod = moderator()
    services.lift_minor_mark(user_id=user.pk, actor=mod, reason="Typo in the year; saw the card.")
    user.refresh_from_db()
    assert not user.is_minor
    entry = AuditEntry.objects.get(action="accounts.user.minor_mark_lifted")
    assert entry.actor == mod and entry.before["is_minor"] is True
    assert submit(user).state == "pending"


# -------------------------------------------------------------------- duplicates


def test_document_verified_for_another_user_is_refused_and_flagged(client):
    owner = UserFactory()
    first = submit(owner)
    services.approve_verification(verification_id=first.pk, actor=moderator(), reason="ok")
    impostor = UserFactory()
    client.force_login(impostor)
    number = ric(dt.date(1990, 3, 14))
    disguised = f"{number[:6]} {number[6:]}".lower()  # same number, typed differently
    response = _post(client, document_number=disguised, legal_name="Someone Else")
    assert response.status_code == 200
    assert (
        "already verified for another account"
        in (response.context["form"].errors["document_number"][0])
    )
    flag = ImpersonationFlag.objects.get()
    assert flag.user == impostor and flag.existing_user == owner
    assert flag.document_last4 == number[-4:]
    assert flag.attempt.state == "rejected"
    impostor.refresh_from_db()
    assert impostor.verification_status == "rejected"
    assert not can(impostor, "sell")
    owner.refresh_from_db()
    assert owner.verification_status == "verified"
    assert AuditEntry.objects.filter(action="accounts.impersonation.flagged").exists()


def test_impersonation_signal_is_sent_after_commit(django_capture_on_commit_callbacks):
    owner = UserFactory()
    first = submit(owner)
    services.approve_verification(verification_id=first.pk, actor=None)
    received = []
    possible_impersonation.connect(
        lambda sender, flag, user, **kw: received.append(user.pk), dispatch_uid="t2", weak=False
    )
    try:
        impostor = UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(VerificationRefused) as exc:
                submit(impostor)
    finally:
        possible_impersonation.disconnect(dispatch_uid="t2")
    assert exc.value.code == "duplicate_document"
    assert received == [impostor.pk]


def test_two_pending_submissions_of_one_document_second_approval_is_refused():
    a, b = UserFactory(), UserFactory()
    first, second = submit(a), submit(b)
    mod = moderator()
    services.approve_verification(verification_id=first.pk, actor=mod)
    with pytest.raises(VerificationRefused) as exc:
        services.approve_verification(verification_id=second.pk, actor=mod)
    assert exc.value.code == "duplicate_document"
    second.refresh_from_db()
    assert second.state == "pending"
    assert ImpersonationFlag.objects.filter(user=b, existing=first).count() == 1
    b.refresh_from_db()
    assert not can(b, "sell")


def test_same_user_may_renew_with_the_same_document_near_expiry():
    user = UserFactory()
    first = submit(user, now=NOW)
    services.approve_verification(verification_id=first.pk, actor=None, now=NOW)
    with pytest.raises(VerificationRefused) as exc:
        submit(user, now=NOW + dt.timedelta(days=10))
    assert exc.value.code == "already_verified"
    later = NOW + dt.timedelta(days=350)
    renewal = submit(user, now=later)
    user.refresh_from_db()
    assert user.verification_status == "verified"  # still verified while renewal is reviewed
    services.approve_verification(verification_id=renewal.pk, actor=None, now=later)
    first.refresh_from_db()
    assert first.state == "superseded"
    user.refresh_from_db()
    assert user.verified_until == later + dt.timedelta(days=365)


def test_one_pending_submission_at_a_time():
    user = UserFactory()
    submit(user)
    with pytest.raises(VerificationRefused) as exc:
        submit(user, number=ric(dt.date(1990, 3, 14), seq="777"))
    assert exc.value.code == "already_pending"
    assert User.objects.get(pk=user.pk).identity_verifications.count() == 1


def test_submissions_are_rate_limited(client, settings):
    settings.SITE_RATE_LIMITS = {**settings.SITE_RATE_LIMITS, "verification": "3/h"}
    client.force_login(UserFactory())
    statuses = [_post(client, document_number="bad").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_rejected_renewal_keeps_the_user_verified_and_a_revocation_ends_it():
    """The two decisions that end a verification with a reason: each dates its own
    field, records the reason, and sets the owner's status by its own rule."""
    user = UserFactory()
    mod = UserFactory()
    first = submit(user, now=NOW)
    services.approve_verification(verification_id=first.pk, actor=None, now=NOW)
    later = NOW + dt.timedelta(days=350)
    renewal = submit(user, now=later)
    with pytest.raises(VerificationRefused) as exc:
        services.reject_verification(verification_id=renewal.pk, actor=mod, reason=" ", now=later)
    assert exc.value.code == "reason_required"
    services.reject_verification(
        verification_id=renewal.pk, actor=mod, reason=" Blurred. ", now=later
    )
    renewal.refresh_from_db()
    user.refresh_from_db()
    assert (renewal.state, renewal.decided_at, renewal.decision_reason) == (
        "rejected",
        later,
        "Blurred.",
    )
    assert user.verification_status == "verified"
    services.revoke_verification(verification_id=first.pk, actor=mod, reason="Borrowed", now=later)
    first.refresh_from_db()
    user.refresh_from_db()
    assert (first.state, first.ended_at, first.decided_by, first.decision_reason) == (
        "revoked",
        later,
        mod,
        "Borrowed",
    )
    assert (user.verification_status, user.verified_until) == ("revoked", None)
    actions = list(
        AuditEntry.objects.filter(action__in=_ENDED).order_by("pk").values_list("action", "reason")
    )
    assert actions == [
        ("accounts.verification.rejected", "Blurred."),
        ("accounts.verification.revoked", "Borrowed"),
    ]


_ENDED = ["accounts.verification.rejected", "accounts.verification.revoked"]
