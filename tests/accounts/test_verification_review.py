"""Moderators review verifications in the admin; documents are shown only to the
owner and moderators; the full number never shows anywhere."""

import datetime as dt
import logging

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from accounts import services
from accounts.apps import MODERATOR_PERMISSIONS
from accounts.models import AuditEntry, IdentityVerification, ImpersonationFlag
from accounts.permissions import MODERATORS_GROUP
from governance.policy import can
from tests.accounts.identity_helpers import form_data, moderator, ric, submit
from tests.factories import UserFactory
from tests.mail import outbox_sent, send_outbox
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db


def _decide(client, verification, decision, reason=""):
    return client.post(
        f"/admin/accounts/pendingverification/{verification.pk}/decide/",
        {"decision": decision, "reason": reason},
    )


# ------------------------------------------------------------------ permissions


def test_moderators_group_holds_only_what_moderators_need():
    codenames = set(
        Group.objects.get(name=MODERATORS_GROUP)
        .permissions.filter(content_type__app_label="accounts")
        .values_list("codename", flat=True)
    )
    assert codenames == set(MODERATOR_PERMISSIONS)
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in codenames)


# ------------------------------------------------------------------------ queue


def test_queue_lists_pending_verifications_oldest_first(client):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    first = submit(a, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    second = submit(b, number=ric(dt.date(1985, 1, 2)), birth=dt.date(1985, 1, 2))
    decided = submit(c, number=ric(dt.date(1980, 5, 5)), birth=dt.date(1980, 5, 5))
    services.reject_verification(verification_id=decided.pk, actor=None, reason="blurred")
    force_login_with_second_factor(client, moderator())
    response = client.get("/admin/accounts/pendingverification/")
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert listed == [first, second]


def test_moderator_approves_in_the_admin_and_the_user_is_told(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    verification = submit(user, selfie=True)
    mod = moderator()
    force_login_with_second_factor(client, mod)
    page = client.get(f"/admin/accounts/pendingverification/{verification.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/verify/documents/{verification.pk}/document/" in html
    assert f"/verify/documents/{verification.pk}/selfie/" in html
    assert 'value="approve"' in html
    assert "/media/" not in html

    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, verification, "approve", "Matches the card.")
    assert response.status_code == 302
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "verified" and verification.decided_by == mod
    assert user.verification_status == "verified" and can(user, "sell")
    entry = AuditEntry.objects.get(action="accounts.verification.approved")
    assert entry.actor == mod
    assert entry.before["state"] == "pending" and entry.after["state"] == "verified"
    assert len(mail.outbox) == 1 and user.email in mail.outbox[0].to
    assert "verified" in mail.outbox[0].subject.lower()


def test_rejection_reason_reaches_the_user_by_mail_and_on_the_profile(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    verification = submit(user)
    force_login_with_second_factor(client, moderator())
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        _decide(client, verification, "reject", "The photo is blurred; the number is unreadable.")
    verification.refresh_from_db()
    assert verification.state == "rejected"
    assert "photo is blurred" in mail.outbox[0].body
    client.force_login(user)
    html = client.get("/me/").content.decode()
    assert "photo is blurred" in html
    assert 'data-verification="rejected"' in html
    assert "/verify/" in html
    # and the user may submit again
    assert client.post("/verify/", form_data()).status_code == 302


def test_reject_without_reason_is_refused_and_nothing_changes(client):
    verification = submit(UserFactory())
    force_login_with_second_factor(client, moderator())
    response = _decide(client, verification, "reject", "  ")
    assert response.status_code == 200  # the review page again, the error beside the reason
    verification.refresh_from_db()
    assert verification.state == "pending"
    assert not AuditEntry.objects.filter(action__startswith="accounts.verification").exists()


def test_staff_without_the_review_permission_cannot_decide(client):
    verification = submit(UserFactory())
    staff = UserFactory(is_staff=True)
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    force_login_with_second_factor(client, staff)
    assert _decide(client, verification, "approve").status_code == 403
    verification.refresh_from_db()
    assert verification.state == "pending"


def test_moderator_revokes_a_verification(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    verification = submit(user)
    services.approve_verification(verification_id=verification.pk, actor=None)
    force_login_with_second_factor(client, moderator())
    send_outbox()  # the "verified" e-mail
    mail.outbox.clear()
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/accounts/identityverification/{verification.pk}/decide/",
            {"decision": "revoke", "reason": "The card belongs to someone else."},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.verification_status == "revoked" and not can(user, "buy")
    assert "belongs to someone else" in mail.outbox[0].body


def test_approving_twice_is_refused_without_a_second_audit_row(client):
    verification = submit(UserFactory())
    force_login_with_second_factor(client, moderator())
    _decide(client, verification, "approve")
    _decide(client, verification, "approve")
    assert AuditEntry.objects.filter(action="accounts.verification.approved").count() == 1


def test_moderator_lifts_the_minor_mark_in_the_admin(client):
    user = UserFactory()
    with pytest.raises(Exception):  # noqa: B017 - VerificationRefused
        submit(user, birth=dt.date(2015, 1, 1))
    mod = moderator()
    force_login_with_second_factor(client, mod)
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert b"Lift the minor mark" in page.content
    response = client.post(f"/admin/accounts/user/{user.pk}/lift-minor/", {"reason": ""})
    user.refresh_from_db()
    assert user.is_minor  # a reason is required
    client.post(f"/admin/accounts/user/{user.pk}/lift-minor/", {"reason": "Saw the card."})
    user.refresh_from_db()
    assert not user.is_minor
    assert AuditEntry.objects.get(action="accounts.user.minor_mark_lifted").actor == mod
    assert response.status_code == 302


def test_plain_user_cannot_lift_the_minor_mark(client):
    user = UserFactory()
    with pytest.raises(Exception):  # noqa: B017
        submit(user, birth=dt.date(2015, 1, 1))
    client.force_login(user)
    response = client.post(f"/admin/accounts/user/{user.pk}/lift-minor/", {"reason": "me"})
    assert response.status_code == 302  # to the admin login
    user.refresh_from_db()
    assert user.is_minor


def test_impersonation_flags_are_queued_for_moderators(client):
    owner = UserFactory()
    verification = submit(owner)
    services.approve_verification(verification_id=verification.pk, actor=None)
    impostor = UserFactory()
    with pytest.raises(Exception):  # noqa: B017
        submit(impostor)
    flag = ImpersonationFlag.objects.get()
    mod = moderator()
    force_login_with_second_factor(client, mod)
    listing = client.get("/admin/accounts/impersonationflag/")
    assert impostor.email in listing.content.decode()
    page = client.get(f"/admin/accounts/impersonationflag/{flag.pk}/change/")
    assert b"Mark as reviewed" in page.content
    client.post(
        f"/admin/accounts/impersonationflag/{flag.pk}/review/",
        {"reason": "Twin siblings; the impostor's submission stays rejected."},
    )
    flag.refresh_from_db()
    assert flag.resolved_by == mod
    assert AuditEntry.objects.filter(action="accounts.impersonation.reviewed").exists()


# ------------------------------------------------------------- document images


def test_document_image_is_shown_to_the_owner_and_moderators_only(client):
    owner = UserFactory()
    verification = submit(owner, selfie=True)
    url = f"/verify/documents/{verification.pk}/document/"

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" or response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert client.get(f"/verify/documents/{verification.pk}/selfie/").status_code == 200

    mod = moderator()
    force_login_with_second_factor(client, mod)
    assert client.head(url).status_code == 405  # a HEAD shows nothing: it logs no look
    assert not AuditEntry.objects.filter(action="accounts.verification.document_viewed")
    assert client.get(url).status_code == 200
    viewed = AuditEntry.objects.get(action="accounts.verification.document_viewed")
    assert viewed.actor == mod

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_staff=True))  # staff, but not a moderator
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(f"/verify/documents/{verification.pk + 999}/document/").status_code == 404
    assert client.get(f"/verify/documents/{verification.pk}/other/").status_code == 404


def test_document_has_no_public_media_url(client, settings):
    verification = submit(UserFactory())
    name = verification.document_image.name
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"{settings.MEDIA_URL}private/{name}").status_code == 404


# ----------------------------------------------------------- the number is secret


def test_full_number_never_appears_in_html_admin_audit_or_logs(
    client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    birth = dt.date(1991, 7, 8)
    number = ric(birth, seq="246")
    forms_of_it = {number, number.lower(), f"{number[:6]} {number[6:14]} {number[14:]}"}
    user = UserFactory()
    client.force_login(user)
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/verify/",
            form_data(document_number=f"{number[:6]} {number[6:14]} {number[14:]}", birth=birth),
        )
    verification = IdentityVerification.objects.get(user=user)
    pages = [client.get("/verify/"), client.get("/me/")]
    # a form error page after typing the number does not send it back either
    client.force_login(UserFactory())
    pages.append(
        client.post("/verify/", form_data(document_number=number, date_of_birth="1991-07-09"))
    )
    assert pages[-1].context["form"].errors

    mod = moderator()
    force_login_with_second_factor(client, mod)
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        admin_pages = [
            client.get("/admin/accounts/pendingverification/"),
            client.get(f"/admin/accounts/pendingverification/{verification.pk}/change/"),
            client.get(f"/admin/accounts/pendingverification/?q={number}", follow=True),
        ]
        # moderators can look a full number up (by its keyed hash); it is not echoed
        assert list(admin_pages[-1].context["cl"].result_list) == [verification]
        _decide(client, verification, "approve", "ok")
    admin_pages += [
        client.get("/admin/accounts/identityverification/"),
        client.get(f"/admin/accounts/identityverification/{verification.pk}/change/"),
        client.get("/admin/accounts/auditentry/"),
        client.get(f"/admin/accounts/user/{user.pk}/change/"),
    ]
    # the impostor path logs and flags too
    with pytest.raises(Exception):  # noqa: B017
        submit(UserFactory(), number=number, birth=birth)
    admin_pages.append(client.get("/admin/accounts/impersonationflag/"))

    for response in pages + admin_pages:
        assert response.status_code == 200, response
        html = response.content.decode()
        for form in forms_of_it:
            assert form not in html
    assert number[-4:] in admin_pages[1].content.decode()

    for entry in AuditEntry.objects.all():
        blob = f"{entry.reason}{entry.before}{entry.after}{entry.target_repr}"
        assert number not in blob
    for email in mail_outbox():
        assert number not in email.body and number not in email.subject
    assert caplog.records, "the flow logs something"
    for record in caplog.records:
        assert number not in record.getMessage()
    assert number not in repr(
        services.VerificationSubmission(
            legal_name="x",
            document_type="passport",
            document_number=number,
            date_of_birth=birth,
            country="CN",
        )
    )


def mail_outbox():
    from django.core import mail as django_mail

    return django_mail.outbox


def test_number_is_stored_encrypted():
    from django.db import connection

    number = ric(dt.date(1990, 3, 14))
    verification = submit(UserFactory())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document_number, document_number_hash FROM accounts_identityverification "
            "WHERE id = %s",
            [verification.pk],
        )
        stored, stored_hash = cursor.fetchone()
    assert number not in stored and number not in stored_hash
    assert IdentityVerification.objects.get(pk=verification.pk).document_number == number


def test_a_refused_or_too_long_reason_comes_back_as_typed_beside_its_field(client):
    """Issue 22: the moderator's decision form keeps what was typed."""
    verification = submit(UserFactory())
    force_login_with_second_factor(client, moderator())
    too_long = "The photo is blurred; " * 100  # past the 2,000-character limit
    response = _decide(client, verification, "reject", too_long)
    assert response.status_code == 200
    page = response.content.decode()
    assert too_long.strip()[:300] in page
    assert 'class="errorlist' in page
    response = _decide(client, verification, "reject", "")
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    verification.refresh_from_db()
    assert verification.state == "pending"


def _minor():
    user = UserFactory()
    with pytest.raises(Exception):  # noqa: B017 - VerificationRefused
        submit(user, birth=dt.date(2015, 1, 1))
    return f"/admin/accounts/user/{user.pk}/", "/admin/accounts/user/999999/"


def _flag():
    owner = UserFactory()
    verification = submit(owner)
    services.approve_verification(verification_id=verification.pk, actor=None)
    with pytest.raises(Exception):  # noqa: B017
        submit(UserFactory())
    flag = ImpersonationFlag.objects.get()
    return (
        f"/admin/accounts/impersonationflag/{flag.pk}/",
        "/admin/accounts/impersonationflag/999999/",
    )


@pytest.mark.parametrize(
    "make, action",
    [(_minor, "lift-minor/"), (_flag, "review/")],
    ids=["lift the minor mark", "review an impersonation flag"],
)
def test_each_reason_action_in_the_admin_answers_every_case_without_an_error_page(
    client, make, action
):
    page, gone = make()
    force_login_with_second_factor(client, moderator())
    assert client.get(page + action).status_code == 405
    assert client.post(gone + action, {"reason": "x"}).status_code == 404
    written = AuditEntry.objects.count()
    blank = client.post(page + action, {"reason": "  "}, follow=True)
    assert blank.redirect_chain[-1][0] == page + "change/"
    assert AuditEntry.objects.count() == written  # a reason is required
    done = client.post(page + action, {"reason": "Checked."}, follow=True)
    assert done.redirect_chain[-1][0] == page + "change/"
    again = client.post(page + action, {"reason": "Checked."}, follow=True)
    assert again.status_code == 200
    audit = AuditEntry.objects.filter(reason="Checked.")
    assert audit.count() == 1
    shown = [str(m) for m in again.context["messages"]]
    assert shown and shown != [str(m) for m in done.context["messages"]]
