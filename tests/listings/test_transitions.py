"""The listing state machine and the services escrow calls."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from listings import services
from listings.exceptions import IllegalTransition, ListingNotAvailable
from listings.models import Listing, ListingEvent
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db
State = Listing.State


def test_every_state_has_an_entry_in_the_transition_table():
    assert set(Listing.TRANSITIONS) == set(State.values)
    for targets in Listing.TRANSITIONS.values():
        assert targets <= set(State.values)


def test_reserve_moves_published_to_reserved_and_records_the_event():
    listing = ListingFactory(state=State.PUBLISHED)

    services.reserve_listing(listing_id=listing.pk, reason="deal 7")

    listing.refresh_from_db()
    assert listing.state == State.RESERVED
    event = ListingEvent.objects.get(listing=listing)
    assert (event.from_state, event.to_state, event.reason) == (
        State.PUBLISHED,
        State.RESERVED,
        "deal 7",
    )


@pytest.mark.parametrize("state", [s for s in State.values if s != State.PUBLISHED])
def test_reserve_refuses_a_listing_that_is_not_published(state):
    listing = ListingFactory(state=state)

    with pytest.raises(ListingNotAvailable):
        services.reserve_listing(listing_id=listing.pk)

    listing.refresh_from_db()
    assert listing.state == state
    assert not ListingEvent.objects.filter(listing=listing).exists()


def test_release_mark_sold_and_withdraw_after_exposure():
    a = ListingFactory(state=State.PUBLISHED)
    services.reserve_listing(listing_id=a.pk)
    services.release_reservation(listing_id=a.pk)
    a.refresh_from_db()
    assert a.state == State.PUBLISHED

    services.reserve_listing(listing_id=a.pk)
    services.mark_sold(listing_id=a.pk)
    services.mark_sold(listing_id=a.pk)  # idempotent
    a.refresh_from_db()
    assert a.state == State.SOLD
    with pytest.raises(IllegalTransition):
        services.withdraw_after_exposure(listing_id=a.pk)

    b = ListingFactory(state=State.PUBLISHED, ownership_proven=True)
    services.reserve_listing(listing_id=b.pk)
    services.withdraw_after_exposure(listing_id=b.pk)
    b.refresh_from_db()
    assert b.state == State.WITHDRAWN
    assert b.ownership_proven is False
    assert list(b.events.values_list("to_state", flat=True)) == [State.RESERVED, State.WITHDRAWN]


def test_mark_sold_refuses_a_published_listing():
    listing = ListingFactory(state=State.PUBLISHED)
    with pytest.raises(IllegalTransition):
        services.mark_sold(listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.state == State.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_two_buyers_cannot_both_reserve_one_listing():
    listing = ListingFactory(state=State.PUBLISHED)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            services.reserve_listing(listing_id=listing.pk)
            outcomes.append("ok")
        except ListingNotAvailable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["ok", "refused"]
    assert ListingEvent.objects.filter(listing=listing).count() == 1


def test_mark_sold_many_goes_through_the_transition_table():
    reserved = [ListingFactory(state=State.RESERVED) for _ in range(2)]
    sold = ListingFactory(state=State.SOLD)
    ids = [r.pk for r in reserved] + [sold.pk]

    services.mark_sold_many(listing_ids=ids, reasons={reserved[0].pk: "deal 9"}, now=timezone.now())

    assert set(Listing.objects.filter(pk__in=ids).values_list("state", flat=True)) == {State.SOLD}
    events = ListingEvent.objects.filter(listing_id__in=ids).order_by("listing_id")
    assert [(e.listing_id, e.from_state, e.to_state) for e in events] == [
        (r.pk, State.RESERVED, State.SOLD) for r in reserved
    ]  # the listing already sold is left as it was
    assert events[0].reason == "deal 9"


@pytest.mark.parametrize(
    "state", [s for s in State.values if s not in (State.RESERVED, State.SOLD)]
)
def test_mark_sold_many_refuses_a_move_the_table_forbids_and_writes_nothing(state):
    reserved = ListingFactory(state=State.RESERVED)
    other = ListingFactory(state=state)

    with pytest.raises(IllegalTransition):
        services.mark_sold_many(listing_ids=[reserved.pk, other.pk], reasons={}, now=timezone.now())

    assert Listing.objects.get(pk=reserved.pk).state == State.RESERVED
    assert Listing.objects.get(pk=other.pk).state == state
    assert not ListingEvent.objects.filter(listing_id__in=[reserved.pk, other.pk]).exists()


def test_the_listing_model_leaves_save_to_django():
    assert "save" not in vars(Listing)
