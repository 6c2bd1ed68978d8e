"""Moderators review listings in the admin: every decision through services, audited."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import AuditEntry
from accounts.permissions import MODERATORS_GROUP
from listings import services
from listings.exceptions import IllegalTransition, ListingError, OwnershipNotProven
from listings.models import Listing
from tests.factories import VerifiedUserFactory
from tests.listings.helpers import draft, moderator
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db
State = Listing.State


def _pending(seller=None, **kwargs):
    seller = seller or VerifiedUserFactory()
    listing = draft(seller, **kwargs)
    services.submit_listing(seller=seller, listing_id=listing.pk)
    listing.refresh_from_db()
    return listing


def test_moderators_group_holds_only_the_listing_permissions_it_needs():
    group = Group.objects.get(name=MODERATORS_GROUP)
    codenames = set(
        group.permissions.filter(content_type__app_label="listings").values_list(
            "codename", flat=True
        )
    )
    assert {"view_listing", "review_listing", "remove_listing", "feature_listing"} <= codenames
    assert not {"add_listing", "delete_listing", "change_listing", "delete_listingscreenshot"} & (
        codenames
    )


def test_approval_needs_proven_ownership_and_is_audited():
    mod = moderator()
    listing = _pending()

    with pytest.raises(OwnershipNotProven):
        services.approve_listing(moderator=mod, listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW

    services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
    services.approve_listing(moderator=mod, listing_id=listing.pk)

    listing.refresh_from_db()
    assert listing.state == State.PUBLISHED and listing.published_at
    actions = list(
        AuditEntry.objects.filter(
            target_id=str(listing.pk), action__startswith="listing."
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["listing.approve", "listing.ownership_proven"]
    entry = AuditEntry.objects.get(action="listing.approve")
    assert entry.actor == mod and entry.before["state"] == State.PENDING_REVIEW
    assert "handle" not in str(entry.before) + str(entry.after)


def test_rejection_needs_a_reason_the_seller_then_sees(client):
    mod = moderator()
    listing = _pending()
    with pytest.raises(ListingError):
        services.reject_listing(moderator=mod, listing_id=listing.pk, reason="  ")
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW
    assert not AuditEntry.objects.filter(action="listing.reject").exists()

    services.reject_listing(moderator=mod, listing_id=listing.pk, reason="Blurry screenshots")
    client.force_login(listing.seller)
    page = client.get(f"/sell/{listing.pk}/review/").content.decode()
    assert "Blurry screenshots" in page


def test_rejected_listing_can_be_fixed_and_resubmitted():
    mod = moderator()
    listing = _pending()
    services.reject_listing(moderator=mod, listing_id=listing.pk, reason="Add revenue proof")
    services.update_listing(
        seller=listing.seller, listing_id=listing.pk, data={"description": "Now with proof"}
    )
    services.submit_listing(seller=listing.seller, listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW and listing.moderation_reason == ""


def test_removal_by_governance_takes_the_listing_down_and_signals_escrow(
    django_capture_on_commit_callbacks,
):
    from listings.signals import listing_removed

    mod = moderator()
    listing = _pending()
    services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
    services.approve_listing(moderator=mod, listing_id=listing.pk)
    received = []

    def receiver(sender, listing_id, reason, **kwargs):
        received.append((listing_id, reason))

    listing_removed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_listing(actor=mod, listing_id=listing.pk, reason="Fake followers")
    finally:
        listing_removed.disconnect(receiver)

    listing.refresh_from_db()
    assert listing.state == State.REMOVED and listing.moderation_reason == "Fake followers"
    assert received == [(listing.pk, "Fake followers")]
    assert AuditEntry.objects.filter(action="listing.remove", actor=mod).exists()
    with pytest.raises(IllegalTransition):
        services.submit_listing(seller=listing.seller, listing_id=listing.pk)


def test_remove_listings_of_a_banned_seller():
    mod = moderator()
    seller = VerifiedUserFactory()
    a = _pending(seller, handle="@a")
    b = _pending(seller, handle="@b")
    services.mark_ownership_proven(moderator=mod, listing_id=b.pk)
    services.approve_listing(moderator=mod, listing_id=b.pk)
    services.reserve_listing(listing_id=b.pk)
    assert services.remove_listings_of_seller(seller_id=seller.pk, reason="banned") == 2
    assert set(Listing.objects.filter(seller=seller).values_list("state", flat=True)) == {
        State.REMOVED
    }
    assert a.pk


def test_admin_review_queue_and_decisions(client):
    mod = moderator()
    listing = _pending(title="Queue item 美妆")
    force_login_with_second_factor(client, mod)

    queue = client.get("/admin/listings/pendinglisting/?platform__exact=xiaohongshu&age=lt1")
    assert queue.status_code == 200
    assert "Queue item 美妆" in queue.content.decode()
    assert 'class="admin-thumb"' in queue.content.decode()

    review = client.get(f"/admin/listings/pendinglisting/{listing.pk}/change/")
    page = review.content.decode()
    assert review.status_code == 200
    assert listing.ownership_code in page and "@secret_beauty_handle" in page
    assert page.count("<figure>") == 1

    base = f"/admin/listings/pendinglisting/{listing.pk}"
    response = client.post(f"{base}/approve/", follow=True)
    assert "Ownership has not been proven" in response.content.decode()
    client.post(f"{base}/prove/")
    client.post(f"{base}/approve/")
    listing.refresh_from_db()
    assert listing.state == State.PUBLISHED

    assert client.get(f"{base}/approve/").status_code == 405  # POST only


def test_admin_reject_with_reason(client):
    mod = moderator()
    listing = _pending()
    force_login_with_second_factor(client, mod)
    client.post(f"/admin/listings/listing/{listing.pk}/reject/", {"reason": "Wrong niche"})
    listing.refresh_from_db()
    assert listing.state == State.REJECTED and listing.moderation_reason == "Wrong niche"


def test_staff_without_the_permission_cannot_decide(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    listing = _pending()
    force_login_with_second_factor(client, staff)
    response = client.post(f"/admin/listings/listing/{listing.pk}/approve/")
    assert response.status_code in (302, 403)
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW


def test_each_moderation_move_records_its_event_and_audit_with_before_and_after():
    """Approve, reject, remove and restore go through one move: the reason on the
    listing, the state event, and an audit entry with the listing before and after."""
    mod = moderator()
    rejected = _pending()
    services.reject_listing(moderator=mod, listing_id=rejected.pk, reason="Blurry")
    listing = _pending()
    services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
    services.approve_listing(moderator=mod, listing_id=listing.pk, note="looks fine")
    services.set_listing_featured(moderator=mod, listing_id=listing.pk, featured=True)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="Fake followers")
    services.restore_listing(moderator=mod, listing_id=listing.pk, reason="appeal upheld")

    rejected.refresh_from_db()
    assert (rejected.state, rejected.moderation_reason) == (State.REJECTED, "Blurry")
    listing.refresh_from_db()
    assert (listing.state, listing.moderation_reason, listing.featured) == (
        State.PUBLISHED,
        "",
        False,
    )
    events = [
        (e.from_state, e.to_state, e.reason)
        for e in listing.events.order_by("pk")
        if e.to_state in (State.PUBLISHED, State.REMOVED)
    ]
    assert events == [
        (State.PENDING_REVIEW, State.PUBLISHED, "looks fine"),
        (State.PUBLISHED, State.REMOVED, "Fake followers"),
        (State.REMOVED, State.PUBLISHED, "appeal upheld"),
    ]
    audit = {
        e.action: (e.actor, e.reason, e.before["state"], e.after["state"], e.after["featured"])
        for e in AuditEntry.objects.filter(action__in=_MOVES)
    }
    assert audit == {
        "listing.reject": (mod, "Blurry", State.PENDING_REVIEW, State.REJECTED, False),
        "listing.approve": (mod, "looks fine", State.PENDING_REVIEW, State.PUBLISHED, False),
        "listing.remove": (mod, "Fake followers", State.PUBLISHED, State.REMOVED, False),
        "listing.restore": (mod, "appeal upheld", State.REMOVED, State.PUBLISHED, False),
    }
    removal = AuditEntry.objects.get(action="listing.remove")
    assert removal.before["featured"] is True  # taken off the home page by the removal


_MOVES = ["listing.reject", "listing.approve", "listing.remove", "listing.restore"]
