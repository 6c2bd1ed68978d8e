"""The deal's events in the admin read in the moderator's language: state names
and what happened, not the codes the rows keep ("FUNDED", "paid")."""

import pytest
from django.utils import translation

from escrow.events import LABELS
from escrow.models import Deal, PartyRole
from tests.escrow.conftest import open_and_pay
from tests.security.world import make_staff
from tests.totp import force_login_with_second_factor


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_deal_events_show_state_names_in_the_moderators_language(client, buyer, listing, now, lang):
    deal = open_and_pay(buyer, listing, now)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    force_login_with_second_factor(client, make_staff(superuser=True))
    client.cookies["django_language"] = lang
    response = client.get(f"/admin/escrow/deal/{deal.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    inline = html[html.index('id="events-group"') :]
    with translation.override(lang):
        funded = str(Deal.State.FUNDED.label)
        pending = str(Deal.State.PENDING_PAYMENT.label)
        paid = str(LABELS["paid"])
    assert funded in inline and pending in inline and paid in inline
    assert ">paid<" not in inline and ">opened<" not in inline
    assert ">FUNDED<" not in inline and ">PENDING_PAYMENT<" not in inline


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_deal_messages_show_the_authors_role_in_the_moderators_language(
    client, buyer, listing, now, lang
):
    from escrow import services

    deal = open_and_pay(buyer, listing, now)
    services.post_message(deal_id=deal.pk, author=buyer, body="Is 2FA on?", now=now)
    force_login_with_second_factor(client, make_staff(superuser=True))
    client.cookies["django_language"] = lang
    response = client.get("/admin/escrow/dealmessage/")
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override(lang):
        label = str(PartyRole.BUYER.label)
    assert f">{label}<" in html  # the list's column and its filter
    if lang != "en":
        assert ">buyer<" not in html
