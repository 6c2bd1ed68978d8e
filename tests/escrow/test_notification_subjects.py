"""A deal e-mail's subject is its notification's sentence, shortened where it is
long: at a word's end (in English) and with "…", never cut off mid-word ("…about
“Established gaming chan")."""

from __future__ import annotations

import pytest
from django.conf import settings

from escrow.models import Notification
from escrow.notifications import MESSAGES, message_for, render_email
from tests.escrow.conftest import open_and_pay
from tests.factories import ListingFactory

LIMIT = 70


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_subject_is_whole_or_shortened_at_a_word_with_an_ellipsis(buyer, seller, now, lang):
    listing = ListingFactory(
        seller=seller,
        price=150_000,
        platform="youtube",
        title="Established gaming channel with a loyal audience and brand deals",
    )
    deal = open_and_pay(buyer, listing, now)
    buyer.language = lang
    buyer.save(update_fields=["language"])
    cut = []
    for kind in MESSAGES:
        note = Notification(user=buyer, deal=deal, kind=kind)
        subject = render_email(note).subject
        assert subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
        subject = subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
        from django.utils import translation

        with translation.override(lang):
            text = message_for(note, deal)
        if subject == text:
            continue
        assert len(subject) <= LIMIT, subject
        assert subject.endswith("…"), f"{kind}: cut without an ellipsis: {subject!r}"
        kept = subject[:-1]
        assert text.startswith(kept), subject
        if lang == "en":
            assert text[len(kept)] in " ,;:.", f"{kind}: cut mid-word: {subject!r}"
        cut.append(kind)
    if lang == "en":
        assert cut, "no long sentence was tried"
