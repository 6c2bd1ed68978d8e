"""kernel.batch.WriteBatch: writes compiled by Django, sent in one round trip
(PostgreSQL), with save()'s signals and its check of unsaved related objects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escrow.models import Deal, DealEvent, Notification, Payment
from kernel.batch import WriteBatch, insert_select, next_pk_sql
from listings.models import Listing, ListingEvent
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _next_deal_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {next_pk_sql(Deal)}")  # noqa: S608  # nosec B608
        return cursor.fetchone()[0]


def _deal(listing, buyer, now, pk=None) -> Deal:
    return Deal(
        pk=pk,
        listing=listing,
        buyer=buyer,
        seller_id=listing.seller_id,
        state=Deal.State.PENDING_PAYMENT,
        price=listing.price,
        platform_fee=0,
        total=listing.price,
        currency="USD",
        created_at=now,
    )


@pytest.fixture
def signals_seen():
    seen = []

    def on_pre(sender, instance, update_fields, **kwargs):
        seen.append(("pre", sender.__name__, update_fields))

    def on_post(sender, instance, created, update_fields, **kwargs):
        seen.append(("post", sender.__name__, created, update_fields, instance.pk is not None))

    pre_save.connect(on_pre, dispatch_uid="test-batch-pre")
    post_save.connect(on_post, dispatch_uid="test-batch-post")
    yield seen
    pre_save.disconnect(dispatch_uid="test-batch-pre")
    post_save.disconnect(dispatch_uid="test-batch-post")


def test_a_batch_sends_its_writes_in_one_round_trip_with_the_save_signals(signals_seen):
    listing = ListingFactory()
    buyer = UserFactory()
    now = timezone.now()
    before = listing.updated_at
    signals_seen.clear()
    with transaction.atomic():
        batch = WriteBatch()
        assert batch.deferred
        deal = _deal(listing, buyer, now, pk=_next_deal_id())
        with CaptureQueriesContext(connection) as queries:
            listing.state = Listing.State.RESERVED
            batch.update(listing, ["state", "updated_at"])
            batch.insert(ListingEvent(listing=listing, from_state="PUBLISHED", to_state="RESERVED"))
            batch.insert(deal)
            batch.insert_many(
                Notification(user_id=user_id, deal=deal, kind="opened", created_at=now)
                for user_id in (buyer.pk, listing.seller_id)
            )
            assert queries.captured_queries == []  # nothing sent before the flush
            # post_save waits for the rows to be written
            assert [s[0] for s in signals_seen] == ["pre"] * 5
            batch.flush()
        assert len(queries.captured_queries) == 1

    listing.refresh_from_db()
    assert listing.state == Listing.State.RESERVED
    assert listing.updated_at > before  # auto_now, as save(update_fields=…)
    assert ListingEvent.objects.filter(listing=listing, to_state="RESERVED").count() == 1
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.buyer_id, stored.total) == (buyer.pk, listing.price)
    assert sorted(Notification.objects.filter(deal=stored).values_list("user_id", flat=True)) == (
        sorted([buyer.pk, listing.seller_id])
    )
    assert not deal._state.adding
    assert signals_seen[5:] == [
        ("post", "Listing", False, frozenset({"state", "updated_at"}), True),
        ("post", "ListingEvent", True, None, False),  # no key asked for: not learnt
        ("post", "Deal", True, None, True),
        ("post", "Notification", True, None, False),
        ("post", "Notification", True, None, False),
    ]


def test_a_failing_statement_rolls_back_the_whole_batch():
    listing = ListingFactory()
    buyer = UserFactory()
    deal = _deal(listing, buyer, timezone.now())
    deal.save()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with WriteBatch() as batch:
                listing.state = Listing.State.RESERVED
                batch.update(listing, ["state", "updated_at"])
                batch.insert(DealEvent(deal=deal, from_state="", to_state="FUNDED", kind="x"))
                batch.insert(
                    Payment(deal=deal, provider="simulated", idempotency_key="k", amount=1)
                )
                # A second payment for the deal: refused by the database, last.
                batch.insert(
                    Payment(deal=deal, provider="simulated", idempotency_key="k", amount=1)
                )

    listing.refresh_from_db()
    assert listing.state == Listing.State.PUBLISHED
    assert not DealEvent.objects.filter(deal=deal).exists()
    assert not Payment.objects.exists()


def test_an_error_inside_the_block_sends_nothing():
    listing = ListingFactory()
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                with WriteBatch() as batch:
                    listing.state = Listing.State.RESERVED
                    batch.update(listing, ["state"])
                    raise RuntimeError("refused midway")
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)
    listing.refresh_from_db()
    assert listing.state == Listing.State.PUBLISHED


def test_an_unsaved_related_object_is_refused_as_save_refuses_it():
    listing = ListingFactory()
    unsaved = _deal(listing, UserFactory(), timezone.now())
    with transaction.atomic():
        batch = WriteBatch()
        with pytest.raises(ValueError, match="unsaved related object"):
            batch.insert(DealEvent(deal=unsaved, from_state="", to_state="FUNDED", kind="x"))


def test_a_drawn_key_is_the_rows_key_and_later_rows_do_not_collide():
    listing = ListingFactory()
    buyer = UserFactory()
    now = timezone.now()
    drawn = _next_deal_id()
    with transaction.atomic():
        with WriteBatch() as batch:
            batch.insert(_deal(listing, buyer, now, pk=drawn))
    later = _deal(ListingFactory(), buyer, now)
    later.save()  # the sequence's own next value
    assert Deal.objects.filter(pk=drawn).exists()
    assert later.pk > drawn


def test_a_field_left_to_its_database_default_is_read_on_first_access():
    listing = ListingFactory()
    deal = _deal(listing, UserFactory(), timezone.now())
    deal.save()
    note = Notification(user_id=deal.buyer_id, deal=deal, kind="opened")
    field = Notification._meta.get_field("email_state")
    note.email_state = DatabaseDefault(
        field._db_default_expression, output_field=field
    )  # as Django sets it
    with transaction.atomic():
        with WriteBatch() as batch:
            batch.insert(note)
    stored = Notification.objects.get(deal=deal)
    assert stored.email_state == Notification.EmailState.SENT  # db_default; the default is SKIPPED
    # The object asked the database (a key was not given: look it up by deal).
    note.pk = stored.pk
    assert note.email_state == stored.email_state


def test_writes_are_made_at_once_where_they_cannot_be_deferred():
    """The path SQLite (make run) takes: save() and bulk_create(), in order."""
    listing = ListingFactory()
    buyer = UserFactory()
    now = timezone.now()
    with transaction.atomic():
        batch = WriteBatch()
        batch.deferred = False
        listing.state = Listing.State.RESERVED
        batch.update(listing, ["state", "updated_at"])
        deal = batch.insert(_deal(listing, buyer, now))
        assert deal.pk is not None  # written already: its key is known
        batch.insert_many(
            Notification(user_id=user_id, deal=deal, kind="opened", created_at=now)
            for user_id in (buyer.pk, listing.seller_id)
        )
        assert Notification.objects.filter(deal=deal).count() == 2
        with CaptureQueriesContext(connection) as queries:
            batch.flush()
        assert queries.captured_queries == []
    listing.refresh_from_db()
    assert listing.state == Listing.State.RESERVED


def test_objects_of_two_models_or_half_given_keys_are_refused():
    listing = ListingFactory()
    deal = _deal(listing, UserFactory(), timezone.now())
    deal.save()
    batch = WriteBatch()
    with pytest.raises(TypeError):
        batch.insert_many(
            [Notification(user_id=deal.buyer_id, deal=deal, kind="a"), DealEvent(deal=deal)]
        )
    with pytest.raises(ValueError):
        batch.insert_many(
            [
                Notification(pk=10**9, user_id=deal.buyer_id, deal=deal, kind="a"),
                Notification(user_id=deal.buyer_id, deal=deal, kind="a"),
            ]
        )
    with pytest.raises(ValueError):
        batch.update(listing, [])


def _row(model, pk) -> dict:
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k != "id"}


def test_the_kept_statements_write_what_save_writes():
    """Plain values take a statement kept per model and columns; it must write the
    same row as save(), and an expression must still go through Django's compiler."""
    listing = ListingFactory(price=150_000)
    twin = ListingFactory(price=150_000, seller=listing.seller)
    buyer = UserFactory()
    now = timezone.now()
    by_save = _deal(twin, buyer, now)
    by_save.save()
    with transaction.atomic():
        with WriteBatch() as batch:
            batched = batch.insert(_deal(listing, buyer, now, pk=_next_deal_id()))
    # The same values in every column but the key, the listing (one open deal each)
    # and the auto_now time, set by each write.
    row, saved_row = _row(Deal, batched.pk), _row(Deal, by_save.pk)
    assert row.pop("updated_at") >= saved_row.pop("updated_at") >= now
    assert {**row, "listing_id": twin.pk} == saved_row

    for listing_row in (listing, twin):
        listing_row.state = Listing.State.RESERVED
    with transaction.atomic():
        twin.save(update_fields=["state"])
        with WriteBatch() as batch:
            batch.update(listing, ["state"])
    assert Listing.objects.get(pk=listing.pk).state == Listing.objects.get(pk=twin.pk).state

    listing.price = F("price") + 1  # an expression: compiled by Django
    with transaction.atomic():
        with WriteBatch() as batch:
            batch.update(listing, ["price"])
    assert Listing.objects.get(pk=listing.pk).price == 150_001


def test_insert_select_writes_one_row_per_source_row_with_the_fields_defaults():
    buyer = UserFactory()
    now = timezone.now()
    deals = []
    for _ in range(2):
        deal = _deal(ListingFactory(), buyer, now)
        deal.save()
        deals.append(deal)
    ids = [deal.pk for deal in deals]
    insert_select(
        DealEvent,
        source='"escrow_deal" WHERE "id" IN (%s, %s)',
        params=ids,
        columns={"deal_id": '"id"'},
        values={"from_state": "ACCEPTED", "to_state": "RELEASED", "kind": "released"},
        order_by='"id"',
    )
    rows = list(
        DealEvent.objects.filter(deal_id__in=ids)
        .order_by("id")
        .values_list("deal_id", "to_state", "kind", "reason", "actor_id", "due_at")
    )
    # reason, actor and due_at: the defaults an unsaved DealEvent would have
    assert rows == [(pk, "RELEASED", "released", "", None, None) for pk in ids]
    assert all(
        abs(e.created_at - timezone.now()) < timedelta(minutes=1)  # default=timezone.now
        for e in DealEvent.objects.filter(deal_id__in=ids)
    )
    with pytest.raises(ValueError, match="not fields"):
        insert_select(DealEvent, source="x", params=[], columns={"nope": "1"})
