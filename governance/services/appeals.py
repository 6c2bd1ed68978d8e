"""Appeals: once per decision, within six months, decided by another moderator."""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.services import record_audit

from ..exceptions import (
    AlreadyAppealed,
    AppealAlreadyDecided,
    AppealWindowClosed,
    NotAppealable,
    OwnCase,
    SameModerator,
)
from ..models import Appeal, AppealFile, Violation
from . import sanctions as sx
from .common import appeal_deadline, lock_user, require_moderator, require_reason, who


def file_appeal(
    *,
    user,
    violation_id: int,
    text: str,
    files: list[tuple[str, ContentFile]] = (),
    now: datetime,
) -> Appeal:
    """``user`` appeals their decision ``violation_id`` with ``text`` and already
    validated ``files`` ((original name, cleaned content) pairs, see
    ``kernel.uploads.clean_document``), stored in private storage.

    Refused (nothing written): not the user's decision (NotAppealable; views
    answer 404), already overruled, already appealed, or more than six months
    after the decision."""
    from ..policy import can

    text = require_reason(text)
    with transaction.atomic():
        violation = Violation.objects.select_for_update().filter(pk=violation_id, user=user).first()
        if violation is None or not can(user, "appeal"):
            raise NotAppealable()
        if Appeal.objects.filter(violation=violation).exists():
            raise AlreadyAppealed()
        if violation.status != Violation.Status.CONFIRMED:
            raise NotAppealable()
        if now > appeal_deadline(violation.decided_at):
            raise AppealWindowClosed()
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    violation=violation, user=user, text=text, created_at=now
                )
        except IntegrityError:
            raise AlreadyAppealed()
        for original_name, content in files:
            AppealFile.objects.create(
                appeal=appeal,
                file=content,
                original_name=original_name[:200],
                size=content.size,
                uploaded_at=now,
            )
        return appeal


def decide_appeal(*, appeal_id: int, moderator, upheld: bool, reason: str, now: datetime) -> Appeal:
    """Decide an appeal. Upheld: everything the decision did is undone in this one
    transaction (points, sanctions, payout holds; the violation is marked
    overruled). Rejected: the reason is told to the user. The moderator who decided
    the original case may not decide its appeal. Lock order: appeal → user → violation."""
    require_moderator(moderator, "governance.decide_appeal")
    reason = require_reason(reason)
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("decided_by")
            .get(pk=appeal_id)
        )
        if appeal.status != Appeal.Status.PENDING:
            raise AppealAlreadyDecided(who=who(appeal.decided_by))
        violation = Violation.objects.select_related("decided_by").get(pk=appeal.violation_id)
        if violation.decided_by_id == moderator.pk:
            raise SameModerator()
        if appeal.user_id == moderator.pk:
            raise OwnCase()
        lock_user(appeal.user_id)
        violation = Violation.objects.select_for_update().get(pk=appeal.violation_id)
        if upheld:
            sx.undo_decision(violation=violation, now=now, reason=f"appeal #{appeal.pk} upheld")
        appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
        appeal.decided_by = moderator
        appeal.decided_at = now
        appeal.reason = reason
        appeal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_audit(
            actor=moderator,
            action="governance.appeal_upheld" if upheld else "governance.appeal_rejected",
            target=appeal,
            reason=reason,
            before={"status": "pending", "violation": "confirmed"},
            after={"status": appeal.status, "violation": violation.status},
        )
        from ..notifications import queue_appeal_outcome

        queue_appeal_outcome(appeal)
        return appeal
