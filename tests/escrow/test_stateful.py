"""Property-based: random buyers, sellers and jobs, gateway failures, duplicated and
reordered webhooks, jobs run twice. After every step the books must balance, agree
with the deal states, and agree with the simulated provider's own totals."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from escrow import ledger, services, tasks
from escrow.checklists import checklist_for
from escrow.exceptions import EscrowError
from escrow.gateways import simulated
from escrow.gateways.base import GatewayError
from escrow.gateways.simulated import provider_totals, sign
from escrow.models import (
    Account,
    Chargeback,
    Deal,
    Dispute,
    LedgerEntry,
    Payment,
    Payout,
    Refund,
    SimDispute,
    SimEvent,
)
from escrow.webhooks import handle_webhook
from tests.factories import ListingFactory, VerifiedUserFactory
from tests.governance.conftest import make_moderator

CARDS = {
    "good": {"number": "4242424242424242", "exp": "12/34", "cvc": "123"},
    "declined": {"number": "4000000000000002", "exp": "12/34", "cvc": "123"},
    "auth": {"number": "4000002500003155", "exp": "12/34", "cvc": "123"},
}
STEPS = [
    timedelta(minutes=1),
    timedelta(minutes=1),
    timedelta(minutes=31),
    timedelta(hours=73),
    timedelta(days=8),
    timedelta(hours=25),
]
JOBS = [
    tasks.expire_unpaid_deals,
    tasks.refund_undelivered_deals,
    tasks.accept_after_inspection,
    tasks.release_after_protection,
    tasks.execute_due_payouts,
    tasks.execute_due_refunds,
]
S = Deal.State


class EscrowMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # A database reset per example: everything this example writes is rolled
        # back to this savepoint in teardown.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        simulated.FAULTS.clear()
        self.now = timezone.now().replace(microsecond=0)
        self.buyers = [VerifiedUserFactory() for _ in range(2)]
        self.sellers = [VerifiedUserFactory() for _ in range(2)]
        services.connect_payout_account(
            user=self.sellers[0], country="US", return_url="x", refresh_url="x"
        )  # the second seller has no payout account: payouts wait on hold
        self.listings = [ListingFactory(seller=self.sellers[i % 2]) for i in range(3)]
        self.moderator = make_moderator(display_name="Machine Moderator")

    def teardown(self):
        simulated.FAULTS.clear()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _deal(self, index, *states):
        """A deal, preferably one in ``states`` (so the steps move deals along)."""
        deals = list(Deal.objects.filter(state__in=states).order_by("pk")) if states else []
        deals = deals or list(Deal.objects.order_by("pk"))
        return deals[index % len(deals)] if deals else None

    # ------------------------------------------------------------ actions

    @rule(buyer=st.integers(0, 1), listing=st.integers(0, 2))
    def open_deal(self, buyer, listing):
        try:
            services.open_deal(
                buyer=self.buyers[buyer], listing_id=self.listings[listing].pk, now=self.now
            )
        except EscrowError:
            pass

    @rule(index=st.integers(0, 9), card=st.sampled_from(["good", "good", "declined", "auth"]))
    def pay(self, index, card):
        deal = self._deal(index, S.PENDING_PAYMENT)
        if deal is None:
            return
        try:
            services.acknowledge_transfer_policy(
                deal_id=deal.pk, buyer=deal.buyer, note="n", now=self.now
            )
            services.pay_deal(deal_id=deal.pk, buyer=deal.buyer, card=CARDS[card], now=self.now)
        except EscrowError:
            pass

    @rule(index=st.integers(0, 9), success=st.booleans())
    def authenticate(self, index, success):
        deal = self._deal(index, S.PENDING_PAYMENT)
        if deal is None or not Payment.objects.filter(deal=deal).exclude(provider_ref="").exists():
            return
        try:
            services.complete_authentication(
                deal_id=deal.pk, buyer=deal.buyer, success=success, now=self.now
            )
        except EscrowError:
            pass

    @rule(index=st.integers(0, 9))
    def cancel(self, index):
        deal = self._deal(index)
        if deal is not None:
            try:
                services.cancel_deal(deal_id=deal.pk, buyer=deal.buyer, now=self.now)
            except EscrowError:
                pass

    @rule(index=st.integers(0, 9))
    def hand_over(self, index):
        deal = self._deal(index, S.FUNDED)
        if deal is None:
            return
        try:
            services.hand_over(
                deal_id=deal.pk,
                seller=deal.seller,
                login="l",
                password="p",
                checklist=[k for k, _ in checklist_for(deal.listing.platform)],
                now=self.now,
            )
        except EscrowError:
            pass

    @rule(index=st.integers(0, 9), view=st.booleans(), extend=st.booleans())
    def inspect(self, index, view, extend):
        deal = self._deal(index, S.DELIVERED)
        if deal is None:
            return
        try:
            if view:
                services.reveal_credentials(deal_id=deal.pk, buyer=deal.buyer, now=self.now)
            if extend:
                services.extend_inspection(deal_id=deal.pk, buyer=deal.buyer, now=self.now)
            else:
                services.accept_deal(deal_id=deal.pk, buyer=deal.buyer, now=self.now)
        except EscrowError:
            pass

    @rule(index=st.integers(0, 9), steps=st.integers(1, 4))
    def advance(self, index, steps):
        """Move one deal along the happy path by a few steps (keeps sequences deep)."""
        for _ in range(steps):
            deal = self._deal(index, S.PENDING_PAYMENT, S.FUNDED, S.DELIVERED, S.ACCEPTED)
            if deal is None:
                return
            if deal.state == S.PENDING_PAYMENT:
                self.pay(index, "good")
            elif deal.state == S.FUNDED:
                self.hand_over(index)
            elif deal.state == S.DELIVERED:
                self.inspect(index, view=True, extend=False)
            elif deal.state == S.ACCEPTED:
                self.now = max(self.now, deal.due_at)
                tasks.release_after_protection(now=self.now.isoformat())

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step):
        self.now += step

    @rule(job=st.sampled_from(JOBS), twice=st.booleans())
    def run_job(self, job, twice):
        job(now=self.now.isoformat())
        if twice:
            job(now=self.now.isoformat())

    @rule(
        operation=st.sampled_from(["transfer", "refund"]), when=st.sampled_from(["before", "after"])
    )
    def provider_fails_next_call(self, operation, when):
        simulated.FAULTS[operation] = when

    @rule(order=st.lists(st.integers(0, 30), max_size=6), stale=st.booleans())
    def webhooks_arrive(self, order, stale):
        events = list(SimEvent.objects.order_by("created_at", "id"))
        if not events:
            return
        for i in order:  # any order, with repeats
            payload = events[i % len(events)].payload.encode()
            timestamp = int(timezone.now().timestamp()) - (3600 if stale else 0)
            status = handle_webhook(payload=payload, signature=sign(payload, timestamp=timestamp))
            assert status == (400 if stale else 200)

    @rule(seller=st.integers(0, 1))
    def seller_connects(self, seller):
        services.connect_payout_account(
            user=self.sellers[seller], country="US", return_url="x", refresh_url="x"
        )

    # ------------------------------------------------- disputes, chargebacks

    @rule(index=st.integers(0, 9), by_seller=st.booleans(), recovery=st.booleans())
    def open_dispute(self, index, by_seller, recovery):
        deal = self._deal(index, S.FUNDED, S.DELIVERED, S.ACCEPTED)
        if deal is None:
            return
        try:
            services.open_dispute(
                deal_id=deal.pk,
                user=deal.seller if by_seller else deal.buyer,
                statement="not as described",
                kind="recovery" if recovery else "dispute",
                now=self.now,
            )
        except EscrowError:
            pass

    @rule(
        index=st.integers(0, 9),
        outcome=st.sampled_from(["release", "refund", "split", "split"]),
        share=st.integers(-5, 10**6),
        exact=st.booleans(),
    )
    def decide(self, index, outcome, share, exact):
        case = Dispute.objects.filter(status="open").order_by("pk")
        case = list(case)
        if not case:
            return
        case = case[index % len(case)]
        held = ledger.escrow_balance(case.deal)
        buyer_amount = seller_amount = None
        if outcome == "split":
            buyer_amount = share
            seller_amount = held - share if exact else held - share + 1
        try:
            services.decide_dispute(
                dispute_id=case.pk,
                moderator=self.moderator,
                outcome=outcome,
                reason="decided",
                buyer_amount=buyer_amount,
                seller_amount=seller_amount,
                now=self.now,
            )
        except EscrowError:
            pass

    def _deliver(self, type_):
        for event in SimEvent.objects.filter(type=type_).order_by("created_at", "id"):
            payload = event.payload.encode()
            assert handle_webhook(payload=payload, signature=sign(payload)) == 200

    @rule(index=st.integers(0, 9), deliver=st.booleans())
    def chargeback_opens(self, index, deliver):
        deal = self._deal(index, S.FUNDED, S.DELIVERED, S.ACCEPTED, S.DISPUTED, S.RELEASED)
        if deal is None:
            return
        payment = Payment.objects.get(deal=deal)
        if (
            payment.status != Payment.Status.SUCCEEDED
            or SimDispute.objects.filter(payment_intent_id=payment.provider_ref).exists()
        ):
            return
        try:
            simulated.SimulatedGateway().open_chargeback(
                payment_ref=payment.provider_ref, now=self.now
            )
        except GatewayError:
            return  # fully refunded already: nothing to dispute
        if deliver:
            self._deliver("charge.dispute.created")

    @rule(index=st.integers(0, 9), won=st.booleans(), deliver=st.booleans())
    def chargeback_closes(self, index, won, deliver):
        disputes = list(SimDispute.objects.filter(status="needs_response").order_by("pk"))
        if disputes:
            simulated.SimulatedGateway().close_chargeback(
                dispute_ref=disputes[index % len(disputes)].pk, won=won, now=self.now
            )
            if deliver:
                self._deliver("charge.dispute.closed")

    # --------------------------------------------------------- invariants

    @invariant()
    def books_balance_and_match_states_and_provider(self):
        assert ledger.unbalanced_transactions() == []
        for deal in Deal.objects.all():
            payment = Payment.objects.get(deal=deal)
            paid = payment.amount if payment.status == Payment.Status.SUCCEEDED else 0
            refunded = (
                Refund.objects.filter(deal=deal, status=Refund.Status.SUCCEEDED).aggregate(
                    s=Sum("amount")
                )["s"]
                or 0
            )
            released = deal.total if deal.state == S.RELEASED else 0
            case = Dispute.objects.filter(deal=deal, outcome="split").first()
            if deal.state == S.SPLIT:
                assert case is not None
                assert case.buyer_amount + case.seller_amount == deal.total
                released = case.seller_amount
            lost = sum(
                c.amount
                for c in Chargeback.objects.filter(deal=deal, status="lost")
                if LedgerEntry.objects.filter(
                    transaction__reference=f"chargeback:{c.pk}:closed", account="escrow_held"
                ).exists()
            )
            held = ledger.escrow_balance(deal)
            assert held == paid - refunded - released - lost, (deal.state, held, paid, refunded)
            if deal.state in (S.FUNDED, S.DELIVERED, S.ACCEPTED, S.DISPUTED, S.FROZEN):
                assert held == deal.total
                assert payment.status == Payment.Status.SUCCEEDED
            if deal.state == S.FROZEN:
                assert Chargeback.objects.filter(deal=deal).exists()
            if deal.state in (S.DISPUTED, S.FROZEN):
                assert Dispute.objects.filter(deal=deal, status="open").count() == 1
            if deal.state == S.PENDING_PAYMENT:
                assert held == 0
            if deal.state in (S.RELEASED, S.CANCELLED, S.REFUNDED):
                assert held in (0, deal.total)  # a refund may still be on its way
            if deal.state == S.SPLIT:
                assert held in (0, case.buyer_amount)  # the buyer's share may be on its way
            payout = Payout.objects.filter(deal=deal).first()
            if deal.state in (S.RELEASED, S.SPLIT):
                assert payout is not None
                share = deal.price if deal.state == S.RELEASED else case.seller_amount
                assert payout.amount == share
                owed = 0 if payout.status == Payout.Status.PAID else share
                assert ledger.seller_payable_balance(deal) == owed
            else:
                assert payout is None
            listing_state = type(deal.listing).objects.get(pk=deal.listing_id).state
            if deal.state in Deal.ACTIVE_STATES:
                assert listing_state == "RESERVED"
            if deal.state == S.RELEASED:
                assert listing_state == "SOLD"

        totals = provider_totals()
        our_captured = (
            Payment.objects.filter(status=Payment.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        our_refunded = (
            Refund.objects.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        our_paid_out = (
            Payout.objects.filter(status=Payout.Status.PAID).aggregate(s=Sum("amount"))["s"] or 0
        )
        assert totals["captured"] == our_captured
        # A lost response leaves the provider ahead of us until the retry finds it;
        # we are never ahead of the provider, and never pay or refund twice.
        assert our_refunded <= totals["refunded"] <= our_captured
        assert our_paid_out <= totals["transferred"]
        unsettled_refunds = Refund.objects.exclude(status=Refund.Status.SUCCEEDED).exists()
        unsettled_payouts = Payout.objects.filter(
            status__in=[Payout.Status.REQUESTED, Payout.Status.FAILED]
        ).exists()
        if not unsettled_refunds:
            assert our_refunded == totals["refunded"]
        if not unsettled_payouts:
            assert our_paid_out == totals["transferred"]
        cash = ledger.account_balance(Account.PROVIDER_CASH)
        # A card dispute whose event has not arrived yet: the provider is ahead.
        ours = dict(Chargeback.objects.values_list("provider_ref", "status"))
        unsettled_disputes = any(
            ours.get(ref) != ("open" if status == "needs_response" else status)
            for ref, status in SimDispute.objects.values_list("id", "status")
        )
        if not unsettled_refunds and not unsettled_payouts and not unsettled_disputes:
            assert cash == totals["balance"]
        assert ledger.account_balance(Account.CHARGEBACKS) == sum(
            c.amount for c in Chargeback.objects.filter(status="open")
        )


class TestEscrowStateMachine(TestCase):
    def test_random_deals_keep_the_books_right(self):
        run_state_machine_as_test(
            EscrowMachine,
            settings=settings(
                max_examples=60,
                stateful_step_count=40,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
