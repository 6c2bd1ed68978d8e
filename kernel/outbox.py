"""The e-mail outbox: the one way the site sends e-mail.

An e-mail is a row, written in the transaction of the step that caused it, so it
can neither go out for a step that rolled back nor be lost between a commit and a
task message, and no request or job waits for rendering or the mail server. A beat
job (``marketplace.send_due_emails``, every ``EMAIL_OUTBOX_SECONDS``) renders what
is due, in the recipient's language, and sends it; a mail server that refuses is
tried again later.

This module is the generic part, below every app (DESIGN.md's dependency
direction): the row's outbox columns (``OutboxFields``), the registry of outbox
tables and the sweep. The tables: ``escrow.Notification`` (deal notifications,
whose rows are also the in-app notifications) and ``accounts.Email`` (every other
e-mail: governance decisions, verification, operator alerts; queued with
``accounts.outbox.queue_email``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

logger = logging.getLogger(__name__)


class EmailState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("e-mail", "Pending")
    SENT = "sent", pgettext_lazy("e-mail", "Sent")
    FAILED = "failed", pgettext_lazy("e-mail", "Given up")
    SKIPPED = "skipped", pgettext_lazy("e-mail", "Not e-mailed")


class OutboxFields(models.Model):
    """The outbox columns of a table whose rows are e-mails (``escrow.Notification``
    declares the same columns itself, with its own defaults)."""

    email_state = models.CharField(
        _("e-mail state"), max_length=8, choices=EmailState.choices, default=EmailState.PENDING
    )
    #: When the sweep may (next) take it: at once, a retry's backoff, or the end of
    #: a claim (a worker that died while sending is taken over then).
    email_due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    emailed_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Message:
    """A rendered e-mail. ``to`` empty: nobody to send it to (the row is dropped)."""

    subject: str
    body: str
    to: list[str]
    html: str | None = None


@dataclass(frozen=True)
class Outbox:
    """A table of e-mails: ``render(row)`` makes its message (in the recipient's
    language); ``after_sent(row)``, if given, runs after the row is marked sent."""

    label: str
    model: type[models.Model]
    render: Callable[[models.Model], Message]
    select_related: tuple[str, ...] = ()
    after_sent: Callable[[models.Model], None] | None = None


_OUTBOXES: dict[str, Outbox] = {}


def register(outbox: Outbox) -> None:
    """Called from an app's ``ready()``."""
    _OUTBOXES[outbox.label] = outbox


def outboxes() -> list[Outbox]:
    return list(_OUTBOXES.values())


def due_fields() -> dict:
    """A new row's place in the outbox: due at once (the wall clock, not a step's
    ``now``: the e-mail goes out as soon as it can). With
    ``NOTIFICATION_EMAILS`` off (``seed_demo``: not real people) it is skipped."""
    if not getattr(settings, "NOTIFICATION_EMAILS", True):
        return {"email_state": EmailState.SKIPPED}
    return {"email_state": EmailState.PENDING, "email_due_at": timezone.now()}


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th refused try: 1, 2, 4, 8, 16 ×
    ``EMAIL_RETRY_SECONDS``."""
    return timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** (attempts - 1))


def sweep(
    outbox: Outbox,
    *,
    now: datetime | None = None,
    limit: int = 200,
    deadline: float | None = None,
) -> tuple[int, int]:
    """Send up to ``limit`` of ``outbox``'s e-mails that are due; returns (sent, failed).

    The due rows are claimed first (``SKIP LOCKED``, then their due time moved
    ``EMAIL_CLAIM_SECONDS`` ahead, committed): two sweeps at once take different
    rows, and the rows of a worker that died while sending come due again when
    its claim ends (at least once: an e-mail sent just before the crash can go
    out twice). Each row is marked sent right after its e-mail, and only while it
    is still this sweep's claim (its due time the claim's end: a sweep that
    outlived its claim does not touch the next one's). An e-mail that failed (the
    mail server refused it, or it could not be rendered) is tried again after
    ``retry_delay``; after ``EMAIL_RETRIES`` retries, or claimed that often
    without an answer, it is given up (logged). Past ``deadline``
    (``time.monotonic()``) the rows not yet tried are given back, due at once.
    One mail-server connection for the chunk."""
    model = outbox.model
    now = now or timezone.now()
    claim_end = now + timedelta(seconds=settings.EMAIL_CLAIM_SECONDS)
    with transaction.atomic():
        ids = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(email_state=EmailState.PENDING, email_due_at__lte=now)
            .order_by("email_due_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0, 0
        model.objects.filter(pk__in=ids).update(
            email_due_at=claim_end, email_attempts=F("email_attempts") + 1
        )
    rows = model.objects.select_related(*outbox.select_related).in_bulk(ids)
    sent = failed = 0
    with get_connection(fail_silently=False) as mail_server:
        for n, pk in enumerate(ids):
            row = rows.get(pk)
            if row is None:
                continue  # deleted since it was claimed
            mine = model.objects.filter(
                pk=pk, email_state=EmailState.PENDING, email_due_at=claim_end
            )
            if deadline is not None and time.monotonic() > deadline:
                model.objects.filter(pk__in=ids[n:], email_due_at=claim_end).update(
                    email_due_at=now, email_attempts=F("email_attempts") - 1
                )
                break
            if row.email_attempts <= settings.EMAIL_RETRIES + 1 and _send(outbox, row, mail_server):
                sent += 1
                if mine.update(email_state=EmailState.SENT, emailed_at=timezone.now()):
                    _after_sent(outbox, row)
                continue
            failed += 1
            if row.email_attempts > settings.EMAIL_RETRIES:
                logger.error("gave up e-mailing %s %s", outbox.label, pk)
                mine.update(email_state=EmailState.FAILED)
            else:
                mine.update(email_due_at=now + retry_delay(row.email_attempts))
    return sent, failed


def sweep_all(*, now: datetime | None = None, limit: int = 200, deadline: float | None = None):
    """``sweep`` every registered outbox once; returns (sent, failed) in all."""
    sent = failed = 0
    for outbox in outboxes():
        s, f = sweep(outbox, now=now, limit=limit, deadline=deadline)
        sent, failed = sent + s, failed + f
    return sent, failed


def _send(outbox: Outbox, row, mail_server) -> bool:
    """True when the mail server took the e-mail (or there was no one to send it
    to); False when it failed or could not be rendered (logged either way)."""
    try:
        message = outbox.render(row)
        if not message.to:
            return True
        email = EmailMultiAlternatives(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            message.to,
            connection=mail_server,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: not the e-mail's fault
    except Exception:  # an e-mail outage must not undo anything, nor stop the sweep
        logger.exception("could not e-mail %s %s", outbox.label, row.pk)
        return False
    return True


def _after_sent(outbox: Outbox, row) -> None:
    if outbox.after_sent is None:
        return
    try:
        outbox.after_sent(row)
    except Exception:  # bookkeeping only: the e-mail went out
        logger.exception("after-sent hook of %s %s failed", outbox.label, row.pk)
