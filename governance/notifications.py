"""E-mails to users: statements of reasons, report outcomes, appeal outcomes.

Queued in the deciding transaction through the one outbox (``accounts.outbox``):
the e-mail exists exactly when the decision does, a mail server that is down
delays it (the outbox sweep retries) and never fails the moderator's request. Each
is written in the recipient's language (``User.language``).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.outbox import email_kind, queue_email

from .models import Appeal, Report, StatementOfReasons


def _render(template: str, context: dict) -> tuple[str, str]:
    """The template's first line is the subject, the rest the body."""
    text = render_to_string(template, {**context, "site_url": settings.SITE_URL}).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def _statements(email) -> list[StatementOfReasons]:
    return list(
        StatementOfReasons.objects.select_related("user", "sanction")
        .filter(pk__in=email.params["statements"])
        .order_by("pk")
    )


def _statements_sent(email) -> None:
    StatementOfReasons.objects.filter(pk__in=email.params["statements"]).update(
        emailed_at=timezone.now()
    )


@email_kind("governance.statements", after_sent=_statements_sent)
def _render_statements(email) -> tuple[str, str]:
    statements = _statements(email)
    return _render("governance/email/statement.txt", {"user": email.user, "statements": statements})


@email_kind("governance.report_outcome")
def _render_report_outcome(email) -> tuple[str, str]:
    report = Report.objects.select_related("reporter", "rule").get(pk=email.params["report"])
    return _render("governance/email/report_outcome.txt", {"report": report})


@email_kind("governance.appeal_outcome")
def _render_appeal_outcome(email) -> tuple[str, str]:
    appeal = Appeal.objects.select_related("user", "violation__rule").get(pk=email.params["appeal"])
    return _render("governance/email/appeal_outcome.txt", {"appeal": appeal})


def queue_statements(statement_ids: list[int]) -> None:
    """One e-mail with the statements of one decision (all of one user), in the
    caller's transaction."""
    if not statement_ids:
        return
    user = StatementOfReasons.objects.select_related("user").get(pk=statement_ids[0]).user
    queue_email(kind="governance.statements", user=user, params={"statements": list(statement_ids)})


def queue_report_outcome(report: Report) -> None:
    if report.reporter_id is None:
        return
    queue_email(
        kind="governance.report_outcome", user=report.reporter, params={"report": report.pk}
    )


def queue_appeal_outcome(appeal: Appeal) -> None:
    queue_email(kind="governance.appeal_outcome", user=appeal.user, params={"appeal": appeal.pk})
