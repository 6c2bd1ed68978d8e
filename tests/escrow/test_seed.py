"""escrow's part of seed_demo adds deals in every state, once."""

import io

import pytest

from accounts import seed as accounts_seed
from escrow import seed as escrow_seed
from escrow.models import Deal
from listings import seed as listings_seed

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(context):
    options = {"listings": 12}
    for module in (accounts_seed, listings_seed, escrow_seed):
        module.seed(context=context, options=options, out=io.StringIO())


def test_seed_adds_deals_in_every_state_and_is_idempotent():
    _seed({})
    states = set(Deal.objects.values_list("state", flat=True))
    assert set(escrow_seed.TARGETS) <= states
    count = Deal.objects.count()
    _seed({})
    assert Deal.objects.count() == count


def test_seed_adds_an_open_dispute_and_a_chargeback_once():
    from escrow.models import Chargeback, Dispute

    _seed({})
    assert Dispute.objects.filter(kind="dispute", status="open").count() == 1
    assert Dispute.objects.filter(kind="chargeback", status="open").count() == 1
    assert Chargeback.objects.count() == 1
    _seed({})
    assert Dispute.objects.count() == 2
