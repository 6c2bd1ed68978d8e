"""E-mails to users: statements of reasons, report outcomes, appeal outcomes.

Sent after the deciding transaction commits (``transaction.on_commit``). The site
keeps no language preference per user, so each message carries English and
Simplified Chinese, one after the other.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Appeal, Report, StatementOfReasons

log = logging.getLogger(__name__)
LANGUAGES = ("en", "zh-hans")


def _bilingual(template: str, context: dict) -> tuple[str, str]:
    subjects, bodies = [], []
    for lang in LANGUAGES:
        with translation.override(lang):
            text = render_to_string(template, {**context, "site_url": settings.SITE_URL}).strip()
        subject, _, body = text.partition("\n")
        subjects.append(subject.strip())
        bodies.append(body.strip())
    return " / ".join(subjects), "\n\n— — —\n\n".join(bodies) + "\n"


def _send(to: str, template: str, context: dict) -> None:
    subject, body = _bilingual(template, context)
    send_mail(f"[Handoff] {subject}", body, None, [to])


def send_statements(statement_ids: list[int]) -> None:
    statements = list(
        StatementOfReasons.objects.select_related("user", "sanction")
        .filter(pk__in=statement_ids)
        .order_by("pk")
    )
    if not statements:
        return
    user = statements[0].user
    try:
        _send(
            user.email, "governance/email/statement.txt", {"user": user, "statements": statements}
        )
    except Exception:  # noqa: BLE001 - the decision stands; the page shows the statement
        log.exception("could not e-mail statements %s", statement_ids)
        return
    StatementOfReasons.objects.filter(pk__in=[s.pk for s in statements]).update(
        emailed_at=timezone.now()
    )


def send_report_outcome(report_id: int) -> None:
    report = Report.objects.select_related("reporter", "rule").get(pk=report_id)
    if report.reporter is None:
        return
    _send(report.reporter.email, "governance/email/report_outcome.txt", {"report": report})


def send_appeal_outcome(appeal_id: int) -> None:
    appeal = Appeal.objects.select_related("user", "violation__rule").get(pk=appeal_id)
    _send(appeal.user.email, "governance/email/appeal_outcome.txt", {"appeal": appeal})
