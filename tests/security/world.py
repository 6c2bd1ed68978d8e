"""A small marketplace built through the services, the way users create it, for the
security suites: every kind of object exists and belongs to somebody, so that a
request for it by anyone else is a real attempt on a real object.

Roles (``ROLES``, the columns of the access matrix):

- ``anon``: not signed in.
- ``buyer``: Bob, the buyer of the deals below.
- ``party``: Alice, the other party of those deals: the seller of the listings, the
  owner of the verification, the sanctioned user who appealed.
- ``third``: Carol, a verified user with no relation to any of it.
- ``seller``: Dave, a verified seller with a published listing of his own.
- ``mod``: a moderator (staff, in the Moderators group, with TOTP).
- ``admin``: a superuser with TOTP.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.permissions import MODERATORS_GROUP

ROLES = ("anon", "buyer", "party", "third", "seller", "mod", "admin")
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
GOOD_CARD = {"number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}


def png_bytes(size=(64, 40), color=(40, 120, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name="shot.png", size=(320, 200)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(size), content_type="image/png")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.objects[key]

    def pk(self, key) -> int:
        """The pk of an object, or of a role's user (``"party"`` is Alice)."""
        if key in self.users:
            return self.users[key].pk
        return self.objects[key].pk


def make_staff(*, superuser: bool = False, **kwargs):
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=superuser, **kwargs)
    if not superuser:
        user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(user, TOTP_SECRET)
    return user


def _listing(seller, mod, *, title, state="PUBLISHED"):
    """A listing in ``state`` through listings.services (draft → review → published)."""
    from listings import services

    listing = services.create_listing(
        seller=seller,
        data={
            "platform": "youtube",
            "handle": f"@hidden-{title.lower().replace(' ', '-')}",
            "niche": "gaming",
            "follower_count": 50_000,
            "avg_views": 4_000,
            "avg_likes": 300,
            "audience_region": "na",
            "monetised": True,
            "monthly_revenue": 10_000,
        },
    )
    services.update_listing(
        seller=seller,
        listing_id=listing.pk,
        data={"title": title, "description": "A channel with a loyal audience.", "price": 100_000},
    )
    services.add_screenshot(seller=seller, listing_id=listing.pk, upload=png_upload())
    if state != "DRAFT":
        services.submit_listing(seller=seller, listing_id=listing.pk)
        if state != "PENDING_REVIEW":
            services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
            if state == "REJECTED":
                services.reject_listing(moderator=mod, listing_id=listing.pk, reason="blurry")
            else:
                services.approve_listing(moderator=mod, listing_id=listing.pk)
                if state == "REMOVED":
                    services.remove_listing(actor=mod, listing_id=listing.pk, reason="rules")
    listing.refresh_from_db()
    return listing


def _pdf_document():
    """A passive PDF, cleaned the way evidence uploads are."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kernel.uploads import clean_document

    from .pdf_samples import passive_with_object_stream

    upload = SimpleUploadedFile("contract.pdf", passive_with_object_stream(), "application/pdf")
    return clean_document(upload)


def build_world() -> World:
    """Everything the security suites request, owned by Alice and Bob."""
    from escrow import services as escrow
    from escrow.checklists import checklist_for
    from governance import services as governance
    from governance.models import Rule
    from kernel.uploads import clean_document
    from listings.services.media import sweep_media_moves
    from tests.factories import UserFactory, VerifiedUserFactory

    now = timezone.now().replace(microsecond=0)
    w = World()
    mod = make_staff(display_name="Mod")
    mod2 = make_staff(display_name="Mod Two")
    admin = make_staff(superuser=True, display_name="Root")
    alice = VerifiedUserFactory(display_name="Alice")
    bob = VerifiedUserFactory(display_name="Bob")
    carol = VerifiedUserFactory(display_name="Carol")
    dave = VerifiedUserFactory(display_name="Dave")
    w.users = {
        "anon": None,
        "buyer": bob,
        "party": alice,
        "third": carol,
        "seller": dave,
        "mod": mod,
        "admin": admin,
    }
    w.objects["mod2"] = mod2
    w.objects["unverified"] = UserFactory(display_name="Newcomer")

    # Listings of Alice in every state a buyer could stumble on, and one of Dave.
    for state in ("PUBLISHED", "DRAFT", "PENDING_REVIEW", "REJECTED", "REMOVED"):
        w.objects[f"listing_{state.lower()}"] = _listing(
            alice, mod, title=f"Alice {state}", state=state
        )
    w.objects["listing_dave"] = _listing(dave, mod, title="Dave published")
    # The screenshot moves the state changes asked for (the worker's job, after
    # commit; this world never commits), so the files are where production has them.
    sweep_media_moves()
    w.objects["screenshot"] = w["listing_draft"].screenshots.first()
    w.objects["screenshot_published"] = w["listing_published"].screenshots.first()
    w.objects["screenshot_removed"] = w["listing_removed"].screenshots.first()

    # Deals between Bob (buyer) and Alice (seller), in several states.
    def listing_for(name):
        return _listing(alice, mod, title=f"Alice for {name}")

    pending = escrow.open_deal(buyer=bob, listing_id=listing_for("pending").pk, now=now)
    w.objects["deal_pending"] = pending

    def paid(name, *, handed_over=None):
        """A deal Bob paid for; ``handed_over`` (login, password): and Alice handed over."""
        deal = escrow.open_deal(buyer=bob, listing_id=listing_for(name).pk, now=now)
        escrow.acknowledge_transfer_policy(deal_id=deal.pk, buyer=bob, note="policy", now=now)
        escrow.pay_deal(deal_id=deal.pk, buyer=bob, card=GOOD_CARD, now=now)
        if handed_over:
            login, password = handed_over
            escrow.hand_over(
                deal_id=deal.pk,
                seller=alice,
                login=login,
                password=password,
                checklist=[key for key, _ in checklist_for("youtube")],
                now=now,
            )
        deal.refresh_from_db()
        return deal

    funded = paid("funded")
    w.objects["deal_funded"] = funded
    w.objects["listing_reserved"] = funded.listing

    delivered = paid("delivered", handed_over=("owner@example.com", "s3cret-pass-of-the-account"))
    w.objects["deal_delivered"] = delivered

    released = paid("released", handed_over=("owner2@example.com", "another-s3cret"))
    escrow.accept_deal(deal_id=released.pk, buyer=bob, now=now)
    released.refresh_from_db()
    escrow.release_deal(deal_id=released.pk, now=released.due_at + timedelta(seconds=1))
    released.refresh_from_db()
    w.objects["deal_released"] = released

    # Escrow protection: a chat message with an attachment (Alice on the funded
    # deal), and a dispute with an evidence file (Bob on a delivered deal).
    from escrow import services
    from escrow.services import Upload
    from tests.factories import document_photo

    w.objects["message"] = services.post_message(
        deal_id=funded.pk,
        author=alice,
        body="Handing over tonight.",
        attachment=Upload(document_photo(), name="stats.png"),
        now=now,
    )
    disputed = escrow.open_deal(buyer=bob, listing_id=listing_for("disputed").pk, now=now)
    escrow.acknowledge_transfer_policy(deal_id=disputed.pk, buyer=bob, note="policy", now=now)
    escrow.pay_deal(deal_id=disputed.pk, buyer=bob, card=GOOD_CARD, now=now)
    escrow.hand_over(
        deal_id=disputed.pk,
        seller=alice,
        login="owner3@example.com",
        password="third-s3cret",
        checklist=[key for key, _ in checklist_for("youtube")],
        now=now,
    )
    dispute = services.open_dispute(
        deal_id=disputed.pk,
        user=bob,
        statement="Not as described.",
        evidence=[
            Upload(document_photo(), name="proof.png"),
            Upload(_pdf_document(), name="contract.pdf"),
        ],
        now=now,
    )
    w.objects["deal_disputed"] = disputed
    w.objects["dispute"] = dispute
    w.objects["evidence"] = dispute.evidence.filter(file__endswith=".png").get()
    w.objects["evidence_pdf"] = dispute.evidence.filter(file__endswith=".pdf").get()
    # Reconciliation: the provider's fee on one payment disagrees with our books.
    from escrow.models import SimPaymentIntent
    from escrow.reconciliation import reconcile

    SimPaymentIntent.objects.filter(pk=funded.payment.provider_ref).update(processing_fee=1)
    w.objects["reconciliation"] = reconcile(now=now)
    w.objects["payout"] = released.payout
    w.objects["listing_sold"] = released.listing

    # Alice's payout account, and a provider event received through the webhook.
    escrow.connect_payout_account(
        user=alice, country="US", return_url="http://x/", refresh_url="http://x/"
    )
    from escrow.models import SimEvent
    from escrow.simulated_delivery import deliver_event

    for event in SimEvent.objects.order_by("created_at")[:2]:
        deliver_event(event.pk)

    # Real-name verification of Alice (the factory approved one; documents exist).
    w.objects["verification"] = alice.identity_verifications.get(state="verified")

    # Governance: Bob reports Alice; a moderator confirms a case against Alice; she
    # appeals with a file.
    rule = Rule.objects.filter(category="behaviour", is_active=True).order_by("code").first()
    w.objects["rule"] = rule
    w.objects["report"] = governance.file_report(
        reporter=bob, subject=alice, rule=rule, details="Spam in messages", now=now
    )
    case = governance.open_moderator_case(
        moderator=mod, subject=alice, rule=rule, details="seen in review", now=now
    )
    governance.confirm_report(
        report_id=case.pk, moderator=mod, facts="The facts of the case.", now=now
    )
    from governance.models import StatementOfReasons, Violation

    violation = Violation.objects.filter(user=alice).latest("id")
    w.objects["violation"] = violation
    w.objects["statement"] = StatementOfReasons.objects.filter(user=alice).first()
    appeal = governance.file_appeal(
        user=alice,
        violation_id=violation.pk,
        text="I did not do this.",
        files=[("proof.png", clean_document(png_upload("proof.png")))],
        now=now,
    )
    w.objects["appeal"] = appeal
    w.objects["appeal_file"] = appeal.files.first()
    w.objects["ct_user"] = ContentType.objects.get_for_model(alice)
    w.objects["ct_listing"] = ContentType.objects.get_for_model(w["listing_published"])
    w.objects["now"] = now
    sweep_media_moves()
    return w


__all__ = ["ROLES", "World", "build_world", "make_staff", "png_bytes", "png_upload"]
