"""The public transparency page: rule names beside codes, charts drawn on the
server (inline SVG, no script) beside the tables, durations in the reader's
language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from governance import services
from governance.models import Rule

from .conftest import confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_months(moderator, reporter, seller):
    """April: one violation; May: a dismissed report and a violation; June: none."""
    april = datetime(2026, 4, 8, 9, tzinfo=UTC)
    may = datetime(2026, 5, 10, 12, tzinfo=UTC)
    confirm(user=seller, rule="BEH-11", moderator=moderator, now=april)
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=may
    )
    services.dismiss_report(
        report_id=report.pk, moderator=moderator, reason="not rude", now=may + timedelta(hours=8)
    )
    # a moderator's own case is decided at once: median of 0 h and 8 h is 4 h
    confirm(user=seller, rule="BEH-11", moderator=moderator, now=may + timedelta(hours=4))
    services.build_transparency_snapshots(now=datetime(2026, 5, 3, tzinfo=UTC))
    services.build_transparency_snapshots(now=datetime(2026, 6, 3, tzinfo=UTC))


def _page(client, lang):
    client.cookies["django_language"] = lang
    response = client.get("/transparency/")
    assert response.status_code == 200
    return response.content.decode()


def test_rule_names_stand_beside_rule_codes_in_both_languages(client, two_months):
    rule = Rule.objects.get(code="BEH-11")
    assert f"<code>BEH-11</code> {rule.title_en}" in _page(client, "en")
    assert f"<code>BEH-11</code> {rule.title_zh}" in _page(client, "zh-hans")


def test_charts_are_inline_svg_without_script_or_inline_style(client, two_months):
    html = _page(client, "en")
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "<script" not in main and "style=" not in main
    # month by month: one group per month, three columns (reports, violations, measures)
    timeline = main.split('data-testid="timeline"', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r'<rect class="chart-fill series-', timeline)) == 3 * 3  # Apr-Jun
    heights = [int(h) for h in re.findall(r'height="(\d+)"><title>', timeline)]
    assert max(heights) == 100 and min(heights) == 0
    # by rule and by measure: a bar in each table row, sized by attribute (percent)
    assert re.search(r'series-violations" width="100"', main)
    assert re.search(r'series-measures" width="100"', main)
    assert "Month by month" in main and "Measures by kind" in main


def test_median_time_to_decision_reads_as_hours_in_each_language(client, two_months):
    assert re.search(r"<strong>4 h</strong>", _page(client, "en"))
    html = _page(client, "zh-hans")
    assert "<strong>4小时</strong>" in html and "4 h<" not in html
    assert "逐月统计" in html and "5月" in html


def test_empty_report_has_no_chart_and_says_so(client, db):
    html = _page(client, "en")
    assert "No figures yet" in html and 'data-testid="timeline"' not in html
