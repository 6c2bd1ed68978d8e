"""Handover, inspection, protection, release, payout, refund — and the jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from accounts.models import AuditEntry, Standing
from escrow import ledger, services, tasks
from escrow.exceptions import IllegalTransition, InspectionAlreadyExtended, NotAllowed
from escrow.gateways import simulated
from escrow.gateways.simulated import provider_totals
from escrow.models import Account, CredentialView, Deal, DealEvent, LedgerEntry, Payout, Refund
from tests.factories import VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller, hand_over, open_and_pay

pytestmark = pytest.mark.django_db
State = Deal.State


def test_handover_encrypts_the_credentials_and_only_the_buyer_sees_them(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    with pytest.raises(NotAllowed):
        services.reveal_credentials(deal_id=deal.pk, buyer=buyer, now=now)  # not handed over
    hand_over(deal, now)
    deal.refresh_from_db()
    assert deal.state == State.DELIVERED
    assert deal.due_at == now + settings.INSPECTION_PERIOD

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password, login FROM escrow_handover WHERE deal_id = %s", [deal.pk])
        raw_password, raw_login = cursor.fetchone()
    assert "s3cret" not in raw_password and "owner@" not in raw_login

    with pytest.raises(NotAllowed):
        services.reveal_credentials(deal_id=deal.pk, buyer=deal.seller, now=now)
    with pytest.raises(NotAllowed):
        services.reveal_credentials(deal_id=deal.pk, buyer=VerifiedUserFactory(), now=now)
    handover = services.reveal_credentials(deal_id=deal.pk, buyer=buyer, now=now, ip="127.0.0.1")
    assert handover.password == "s3cret-pass"
    assert CredentialView.objects.filter(deal=deal, user=buyer).count() == 1
    assert AuditEntry.objects.filter(action="escrow.credentials_viewed").count() == 1


def test_incomplete_checklist_is_refused(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    with pytest.raises(Exception) as exc:
        services.hand_over(
            deal_id=deal.pk,
            seller=deal.seller,
            login="a",
            password="b",
            checklist=["phone"],
            now=now,
        )
    assert exc.value.code == "checklist_incomplete"
    deal.refresh_from_db()
    assert deal.state == State.FUNDED


def test_full_happy_path_releases_pays_out_and_updates_standing(buyer, listing, now):
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    assert deal.state == State.ACCEPTED
    assert deal.due_at == now + settings.PROTECTION_WINDOW

    assert tasks.release_after_protection(now=now.isoformat()) == 0  # not yet due
    later = after_protection(now)
    assert tasks.release_after_protection(now=later.isoformat()) == 1

    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == State.RELEASED
    assert listing.state == "SOLD"
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.PAID
    assert payout.amount == deal.price
    assert ledger.escrow_balance(deal) == 0
    assert ledger.seller_payable_balance(deal) == 0
    assert ledger.account_balance(Account.FEE_REVENUE) == -deal.platform_fee
    totals = provider_totals()
    assert totals["transferred"] == deal.price
    assert ledger.account_balance(Account.PROVIDER_CASH) == totals["balance"]
    standing = Standing.objects.get(user=listing.seller)
    assert (standing.completed_sales, standing.deals_ended) == (1, 1)
    assert Standing.objects.get(user=buyer).completed_purchases == 1

    # The job again: nothing more happens.
    assert tasks.release_after_protection(now=later.isoformat()) == 0
    assert provider_totals()["transferred"] == deal.price


def test_silence_is_acceptance_after_inspection_and_extension_works_once(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    hand_over(deal, now)
    services.extend_inspection(deal_id=deal.pk, buyer=buyer, now=now)
    with pytest.raises(InspectionAlreadyExtended):
        services.extend_inspection(deal_id=deal.pk, buyer=buyer, now=now)
    deal.refresh_from_db()
    assert deal.due_at == now + 2 * settings.INSPECTION_PERIOD

    tasks.accept_after_inspection(now=(now + settings.INSPECTION_PERIOD * 1.5).isoformat())
    deal.refresh_from_db()
    assert deal.state == State.DELIVERED
    moment = now + 2 * settings.INSPECTION_PERIOD
    assert tasks.accept_after_inspection(now=moment.isoformat()) == 1
    deal.refresh_from_db()
    assert deal.state == State.ACCEPTED
    assert deal.events.last().kind == "auto_accepted"


def test_undelivered_deal_is_refunded_in_full_and_listing_goes_back_on_sale(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    later = now + settings.DELIVERY_DEADLINE + timedelta(seconds=1)

    assert tasks.refund_undelivered_deals(now=later.isoformat()) == 1

    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == State.REFUNDED
    assert listing.state == "PUBLISHED"
    refund = Refund.objects.get(deal=deal)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == deal.total
    assert ledger.escrow_balance(deal) == 0
    assert provider_totals()["refunded"] == deal.total
    assert Standing.objects.get(user=listing.seller).deals_ended == 1
    assert tasks.refund_undelivered_deals(now=later.isoformat()) == 0
    assert provider_totals()["refunded"] == deal.total


def test_unpaid_deal_expires_after_the_payment_window(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    assert tasks.expire_unpaid_deals(now=now.isoformat()) == 0
    later = now + settings.PAYMENT_WINDOW
    assert tasks.expire_unpaid_deals(now=later.isoformat()) == 1
    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == State.CANCELLED and listing.state == "PUBLISHED"


def test_a_payment_that_arrives_after_cancellation_is_refunded_in_full(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)
    gateway = simulated.SimulatedGateway()
    services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now)
    # The provider had confirmed the card anyway (a race with the cancellation).
    from escrow.models import SimPaymentIntent

    SimPaymentIntent.objects.filter(pk=payment.provider_ref).update(
        status="requires_payment_method"
    )
    result = gateway.confirm_payment(
        ref=payment.provider_ref,
        card={"number": "4242424242424242", "exp": "12/34", "cvc": "123"},
        now=now,
    )
    services.record_payment_result(deal_id=deal.pk, result=result, now=now)
    tasks.execute_due_refunds(now=now.isoformat())

    deal.refresh_from_db()
    assert deal.state == State.CANCELLED
    assert ledger.escrow_balance(deal) == 0
    totals = provider_totals()
    assert totals["captured"] == totals["refunded"] == deal.total


def test_payout_waits_on_hold_until_the_seller_connects_then_pays(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    tasks.release_after_protection(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.ON_HOLD
    assert provider_totals()["transferred"] == 0

    connect_seller(listing.seller)
    tasks.execute_due_payouts(now=later.isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID


def test_seller_in_unsupported_country_gets_the_manual_rail(buyer, listing, now, django_user_model):
    services.connect_payout_account(
        user=listing.seller, country="CN", return_url="x", refresh_url="x"
    )
    services.save_manual_payout_details(
        user=listing.seller, country="CN", bank_details="ICBC 6222…"
    )
    deal = accepted_deal(buyer, listing, now)
    tasks.release_after_protection(now=after_protection(now).isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.MANUAL
    operator = django_user_model.objects.create_superuser("op@example.com", "pw")
    services.record_manual_payout(
        payout_id=payout.pk, operator=operator, reference="BANK-1", now=now
    )
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert ledger.seller_payable_balance(deal) == 0
    assert provider_totals()["transferred"] == 0
    assert AuditEntry.objects.filter(action="escrow.manual_payout_recorded").exists()


def test_failed_transfer_is_retried_with_backoff(buyer, listing, now):
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    simulated.FAULTS["transfer"] = "before"
    tasks.release_after_protection(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.FAILED
    assert payout.next_attempt_at == later + services.backoff(1)
    tasks.execute_due_payouts(now=later.isoformat())  # not due yet
    payout.refresh_from_db()
    assert payout.attempts == 1
    tasks.execute_due_payouts(now=(later + timedelta(minutes=1)).isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.attempts == 2


def test_lost_transfer_response_is_found_by_metadata_not_sent_twice(buyer, listing, now):
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    simulated.FAULTS["transfer"] = "after"  # the transfer happens, the answer is lost
    tasks.release_after_protection(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.FAILED
    tasks.execute_due_payouts(now=(later + timedelta(days=2)).isoformat())  # key forgotten
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert provider_totals()["transferred"] == deal.price


# ------------------------------------------------------------ illegal moves

ILLEGAL = [(a, b) for a in State for b in State if b not in Deal.TRANSITIONS[a]]


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_writes_nothing(
    from_state, to_state, buyer, listing, now
):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    Deal.objects.filter(pk=deal.pk).update(state=from_state)  # arrange the state directly
    deal.refresh_from_db()
    events = DealEvent.objects.count()
    with pytest.raises(IllegalTransition):
        services.transition_deal(deal=deal, to=to_state, kind="test", now=now)
    deal.refresh_from_db()
    assert deal.state == from_state
    assert DealEvent.objects.count() == events
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "action",
    ["accept", "extend", "hand_over", "cancel"],
)
def test_user_actions_from_the_wrong_state_are_refused(action, buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)  # PENDING_PAYMENT
    if action == "cancel":
        deal = open_and_pay(VerifiedUserFactory(), _other_listing(), now)
        buyer = deal.buyer
    call = {
        "accept": lambda: services.accept_deal(deal_id=deal.pk, buyer=buyer, now=now),
        "extend": lambda: services.extend_inspection(deal_id=deal.pk, buyer=buyer, now=now),
        "hand_over": lambda: hand_over(deal, now),
        "cancel": lambda: services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now),
    }[action]
    state, events = Deal.objects.get(pk=deal.pk).state, DealEvent.objects.count()
    with pytest.raises(IllegalTransition):
        call()
    assert Deal.objects.get(pk=deal.pk).state == state
    assert DealEvent.objects.count() == events


def _other_listing():
    from tests.factories import ListingFactory

    return ListingFactory(seller=VerifiedUserFactory())


def test_reminders_go_out_once_per_deadline(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    from escrow.models import Notification

    before = Notification.objects.filter(kind="reminder_FUNDED_seller").count()
    soon = deal.due_at - timedelta(hours=23)
    assert tasks.send_deadline_reminders(now=now.isoformat()) == 0
    assert tasks.send_deadline_reminders(now=soon.isoformat()) == 1
    assert tasks.send_deadline_reminders(now=soon.isoformat()) == 0
    assert Notification.objects.filter(kind="reminder_FUNDED_seller").count() == before + 1


def test_jobs_use_a_bounded_number_of_queries_per_deal(now, django_assert_max_num_queries):
    from tests.factories import ListingFactory

    for _ in range(5):
        services.open_deal(
            buyer=VerifiedUserFactory(),
            listing_id=ListingFactory(seller=VerifiedUserFactory()).pk,
            now=now,
        )
    later = now + settings.PAYMENT_WINDOW
    # 1 scan + a constant number per deal (locks, transition, event, listing, notices).
    with django_assert_max_num_queries(1 + 5 * 30):
        assert tasks.expire_unpaid_deals(now=later.isoformat()) == 5
    with django_assert_max_num_queries(6):
        assert tasks.expire_unpaid_deals(now=later.isoformat()) == 0
