"""A report's own text is read by the detectors: moderators see what it
carries, and the facts proposed for the statement (sent to the accused) never
carry the reporter's contact details."""

from __future__ import annotations

import pytest
from django.contrib import admin

from governance import services
from governance.admin.reports import ReportAdmin
from governance.detectors import DETECTOR_VERSION
from governance.models import Report

pytestmark = pytest.mark.django_db

DETAILS = "He keeps asking for money outside escrow. Contact me: WeChat ID - witness_88"


def test_a_report_text_is_scanned_and_its_findings_kept_as_evidence(reporter, seller, now):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-09", details=DETAILS, now=now
    )
    contact = [e for e in report.evidence if e["rule_code"] == "BEH-08"]
    assert contact and "witness_88" in contact[0]["excerpt"]
    assert contact[0]["source"] == "report_text"
    assert contact[0]["detector_version"] == DETECTOR_VERSION


def test_the_default_facts_for_the_accused_mask_the_report_text(reporter, seller, now):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-09", details=DETAILS, now=now
    )
    facts = ReportAdmin(Report, admin.site)._default_facts([report])
    assert "witness_88" not in facts and "outside escrow" in facts


def test_a_plain_report_text_carries_no_evidence(reporter, seller, now):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="insults in chat", now=now
    )
    assert report.evidence == []
