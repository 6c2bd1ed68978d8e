"""seed_demo's governance part: a queue, a sanction and an appeal; idempotent."""

import io

import pytest

from accounts import seed as accounts_seed
from governance import seed as governance_seed
from governance.models import Appeal, Report, Sanction, TransparencySnapshot, Violation

pytestmark = pytest.mark.django_db


def test_seed_builds_a_queue_a_sanction_and_an_appeal_and_is_idempotent():
    context: dict = {}
    out = io.StringIO()
    accounts_seed.seed(context=context, options={}, out=out)
    governance_seed.seed(context=context, options={}, out=out)
    governance_seed.seed(context=context, options={}, out=out)
    assert Report.objects.filter(status__in=["open", "claimed"]).count() == 3
    assert Violation.objects.get().user == context["buyer"]
    assert Sanction.objects.filter(user=context["buyer"], kind="no_new_listings").exists()
    assert Appeal.objects.get().status == "pending"
    assert TransparencySnapshot.objects.count() == 2
