"""The detector version is recorded with each finding, and a new version makes
the rescan job read stored texts again."""

from __future__ import annotations

import pytest

from governance import services
from governance.detectors import DETECTOR_VERSION
from governance.models import Report
from governance.services import jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_detector_version_rescans_stored_texts_and_findings_carry_the_version(
    monkeypatch, now
):
    UserFactory(display_name="WeChat me: wxid_seller2")
    UserFactory(display_name="Ordinary name")
    assert services.rescan_content(now=now) >= 2
    assert services.rescan_content(now=now) == 0  # nothing changed
    report = Report.objects.get(rule__code="BEH-08")
    assert report.evidence[0]["detector_version"] == DETECTOR_VERSION
    assert "wxid_seller2" in report.evidence[0]["excerpt"]

    monkeypatch.setattr(jobs, "DETECTOR_VERSION", DETECTOR_VERSION + "-next")
    assert services.rescan_content(now=now) >= 2  # the new version reads everything again
    assert services.rescan_content(now=now) == 0
    assert Report.objects.filter(rule__code="BEH-08").count() == 1  # deduplicated
