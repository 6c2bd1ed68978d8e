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


def test_seed_demo_hands_no_e_mail_to_the_worker():
    """The demo users are not real: seeding notifies them in the app only, so
    `make run`'s worker does not print dozens of e-mails when it starts."""
    from celery.signals import before_task_publish
    from django.core.management import call_command

    from escrow.models import Notification

    published: list[str] = []

    def record(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        call_command("seed_demo", listings=12, stdout=io.StringIO())
    finally:
        before_task_publish.disconnect(record)

    assert Notification.objects.exists()  # the deals did notify, in the app
    assert not Notification.objects.exclude(email_state="skipped").exists()  # none to e-mail
    assert not [task for task in published if "email" in task]
