"""The automatic ownership check is enqueued by its task name after the submission
commits (services never import tasks), and a real worker runs it."""

from __future__ import annotations

import time

import pytest

from listings import services
from listings.models import Listing
from listings.ownership import OwnershipChecker, OwnershipCheckResult, get_ownership_checker
from tests.factories import VerifiedUserFactory

from .helpers import draft


class BioChecker(OwnershipChecker):
    def supports(self, platform: str) -> bool:
        return True

    def check(self, *, platform: str, handle: str, code: str) -> OwnershipCheckResult:
        return OwnershipCheckResult(proven=code.startswith("HANDOFF-"), detail="code in bio")


@pytest.mark.worker
def test_submitting_a_listing_has_the_worker_check_its_ownership(celery_worker, settings):
    settings.LISTING_OWNERSHIP_CHECKER = f"{__name__}.BioChecker"
    get_ownership_checker.cache_clear()  # kept per process; this test changes the setting
    seller = VerifiedUserFactory()
    listing = draft(seller)

    services.submit_listing(seller=seller, listing_id=listing.pk)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if Listing.objects.get(pk=listing.pk).ownership_proven:
            break
        time.sleep(0.1)
    listing.refresh_from_db()
    assert listing.ownership_proven
    assert listing.state == Listing.State.PENDING_REVIEW


@pytest.fixture(autouse=True)
def _forget_the_checker():
    yield
    get_ownership_checker.cache_clear()
