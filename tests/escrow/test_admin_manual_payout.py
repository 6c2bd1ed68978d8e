"""An operator records a manual bank payout from the payout's admin page: the page
shows the amount as money and takes the reference (amounts stay read-only)."""

from __future__ import annotations

import pytest

from escrow import services, tasks
from escrow.models import Payout
from tests.escrow.conftest import accepted_deal, after_protection
from tests.security.world import make_staff
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db


def test_operator_records_a_manual_payout_in_the_admin(client, buyer, listing, now):
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
    force_login_with_second_factor(client, make_staff(superuser=True))
    client.cookies["django_language"] = "zh-hans"
    url = f"/admin/escrow/payout/{payout.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="manual_reference"' in page
    assert 'name="amount"' not in page  # the amount is shown, never edited
    assert "美元" in page or "元" in page
    response = client.post(url, {"manual_reference": "BANK-1", "amount": "1"})
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.manual_reference == "BANK-1"
    assert payout.amount != 1
