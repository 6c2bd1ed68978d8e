"""Appeals: once, within six months, another moderator; an upheld appeal undoes
points, sanctions and holds; files are validated, private and permission-checked."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEntry
from governance import services
from governance.exceptions import (
    AlreadyAppealed,
    AppealAlreadyDecided,
    AppealWindowClosed,
    NotAppealable,
    SameModerator,
)
from governance.models import Appeal, AppealFile, Sanction, Violation
from governance.policy import can, payouts_held_until
from governance.services.sanctions import points_lost_now
from tests.factories import UserFactory, VerifiedUserFactory
from tests.mail import outbox_sent
from tests.security import pdf_samples
from tests.totp import force_login_with_second_factor

from .conftest import confirm, make_moderator

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def test_an_upheld_appeal_restores_everything_in_one_go(moderator, moderator2):
    seller = VerifiedUserFactory()
    now = timezone.now() - timedelta(hours=1)
    confirm(
        user=seller, rule="BEH-02", moderator=moderator, now=now - timedelta(minutes=5)
    )  # 3 points
    violation = confirm(user=seller, rule="BEH-11", moderator=moderator, now=now)  # → 9 points
    assert not can(seller, "sell")
    release = now + timedelta(days=2)
    assert payouts_held_until(seller, release_at=release, now=now) == release + timedelta(days=14)

    appeal = services.file_appeal(
        user=seller, violation_id=violation.pk, text="I did not forge anything.", now=now
    )
    services.decide_appeal(
        appeal_id=appeal.pk,
        moderator=moderator2,
        upheld=True,
        reason="The file was genuine.",
        now=now + timedelta(minutes=30),
    )

    violation.refresh_from_db()
    assert violation.status == Violation.Status.OVERRULED
    assert points_lost_now(seller, timezone.now()) == 6  # only the first decision counts
    assert can(seller, "sell") and can(seller, "list")
    assert payouts_held_until(seller, release_at=release, now=now) == release
    assert not Sanction.objects.filter(violation=violation).exclude(status="overruled").exists()
    assert Appeal.objects.get().status == Appeal.Status.UPHELD
    assert AuditEntry.objects.filter(action="governance.appeal_upheld", actor=moderator2).exists()


def test_upholding_an_earlier_appeal_lifts_later_measures_that_depended_on_it(
    moderator, moderator2
):
    seller = VerifiedUserFactory()
    now = timezone.now() - timedelta(hours=1)
    first = confirm(
        user=seller, rule="BEH-11", moderator=moderator, now=now
    )  # 6 points: no listings
    confirm(
        user=seller, rule="BEH-02", moderator=moderator, now=now + timedelta(minutes=1)
    )  # 9: selling suspended
    assert not can(seller, "sell")
    appeal = services.file_appeal(
        user=seller, violation_id=first.pk, text="not me", now=now + timedelta(minutes=2)
    )
    services.decide_appeal(
        appeal_id=appeal.pk,
        moderator=moderator2,
        upheld=True,
        reason="wrong user",
        now=now + timedelta(minutes=3),
    )
    assert can(seller, "sell") and can(seller, "list")
    assert points_lost_now(seller, timezone.now()) == 6


def test_a_moderator_cannot_decide_the_appeal_of_their_own_decision(moderator, seller, now):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    appeal = services.file_appeal(user=seller, violation_id=violation.pk, text="unfair", now=now)
    with pytest.raises(SameModerator):
        services.decide_appeal(
            appeal_id=appeal.pk, moderator=moderator, upheld=True, reason="ok", now=now
        )
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING
    assert Violation.objects.get().status == Violation.Status.CONFIRMED


def test_a_rejected_appeal_says_why_and_changes_nothing(
    moderator, moderator2, seller, now, mailoutbox, django_capture_on_commit_callbacks
):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    appeal = services.file_appeal(user=seller, violation_id=violation.pk, text="unfair", now=now)
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        services.decide_appeal(
            appeal_id=appeal.pk,
            moderator=moderator2,
            upheld=False,
            reason="The messages are clear.",
            now=now,
        )
    assert Appeal.objects.get().reason == "The messages are clear."
    assert Violation.objects.get().status == Violation.Status.CONFIRMED
    assert "The messages are clear." in mailoutbox[-1].body


def test_an_appeal_after_six_months_is_refused(moderator, seller, now):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    services_now = now.replace(month=now.month + 6) + timedelta(seconds=1)
    with pytest.raises(AppealWindowClosed):
        services.file_appeal(user=seller, violation_id=violation.pk, text="late", now=services_now)
    assert Appeal.objects.count() == 0
    services.file_appeal(
        user=seller,
        violation_id=violation.pk,
        text="just in time",
        now=services_now - timedelta(seconds=2),
    )


def test_a_second_appeal_is_refused_and_nothing_is_written_twice(
    moderator, moderator2, seller, now
):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    appeal = services.file_appeal(user=seller, violation_id=violation.pk, text="unfair", now=now)
    with pytest.raises(AlreadyAppealed):
        services.file_appeal(user=seller, violation_id=violation.pk, text="again", now=now)
    services.decide_appeal(
        appeal_id=appeal.pk, moderator=moderator2, upheld=False, reason="no", now=now
    )
    with pytest.raises(AlreadyAppealed):
        services.file_appeal(user=seller, violation_id=violation.pk, text="and again", now=now)
    with pytest.raises(AppealAlreadyDecided):
        services.decide_appeal(
            appeal_id=appeal.pk, moderator=make_moderator(), upheld=True, reason="x", now=now
        )
    assert Appeal.objects.count() == 1
    assert Violation.objects.get().status == Violation.Status.CONFIRMED


def test_only_the_sanctioned_user_can_appeal(moderator, seller, now):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    with pytest.raises(NotAppealable):
        services.file_appeal(user=UserFactory(), violation_id=violation.pk, text="me too", now=now)


def test_appeal_page_stores_files_privately_and_serves_them_only_to_allowed_users(
    client, moderator, moderator2, seller, settings
):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=timezone.now())
    client.force_login(seller)
    response = client.post(
        f"/standing/decisions/{violation.pk}/appeal/",
        {
            "text": "These messages were written by my former assistant, see the attached proof.",
            "files": [
                SimpleUploadedFile("proof.png", _png(), content_type="image/png"),
                # A real (passive) PDF: one pypdf cannot read is refused.
                SimpleUploadedFile("letter.pdf", pdf_samples.passive(), "application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    files = list(AppealFile.objects.all())
    assert len(files) == 2
    private_root = settings.STORAGES["private"]["OPTIONS"]["location"]
    assert all(f.file.path.startswith(private_root) for f in files)
    assert not any(f.file.path.startswith(str(settings.MEDIA_ROOT)) for f in files)
    assert not files[0].file.name.startswith("proof")  # random names
    assert client.get(f"/appeals/files/{files[0].pk}/").status_code == 200
    client.force_login(UserFactory())
    assert client.get(f"/appeals/files/{files[0].pk}/").status_code == 404
    force_login_with_second_factor(client, moderator2)
    assert client.get(f"/appeals/files/{files[0].pk}/").status_code == 200


def test_appeal_page_refuses_bad_files_and_keeps_the_text(client, moderator, seller):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=timezone.now())
    client.force_login(seller)
    text = "A long enough explanation of why this was wrong."
    response = client.post(
        f"/standing/decisions/{violation.pk}/appeal/",
        {
            "text": text,
            "files": [
                SimpleUploadedFile(
                    "evil.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml"
                )
            ],
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_files_error"' in body and text in body
    assert Appeal.objects.count() == 0


def test_appeal_pages_of_other_users_answer_404(client, moderator, seller):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=timezone.now())
    client.force_login(UserFactory())
    assert client.get(f"/standing/decisions/{violation.pk}/appeal/").status_code == 404
    statement = violation.statements.first()
    assert client.get(f"/standing/statements/{statement.pk}/").status_code == 404


def test_second_appeal_through_the_page_shows_a_message(client, moderator, seller):
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=timezone.now())
    client.force_login(seller)
    data = {"text": "A long enough explanation of why this was wrong."}
    assert client.post(f"/standing/decisions/{violation.pk}/appeal/", data).status_code == 302
    response = client.post(f"/standing/decisions/{violation.pk}/appeal/", data)
    assert response.status_code == 200 and "already been appealed" in response.content.decode()
    assert Appeal.objects.count() == 1
