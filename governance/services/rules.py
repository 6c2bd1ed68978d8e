"""Staff edits to the rules catalogue. Changing a rule's substance raises its
version and keeps the old one (RuleVersion), so past violations still say which
wording they were decided under."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.services import record_audit

from ..models import Rule, RuleVersion

SUBSTANCE = Rule.SUBSTANCE_FIELDS


def _snapshot(rule: Rule, *, now, editor, note: str) -> RuleVersion:
    return RuleVersion.objects.create(
        rule=rule,
        version=rule.version,
        effective_from=rule.effective_from,
        created_at=now,
        created_by=editor if editor is not None and editor.is_authenticated else None,
        change_note=note[:300],
        **rule.substance(),
    )


def create_rule(
    *, editor, code: str, category: str, fields: dict, now: datetime, note: str = ""
) -> Rule:
    with transaction.atomic():
        rule = Rule(
            code=code.strip().upper(), category=category, version=1, updated_at=now, **fields
        )
        if not rule.effective_from:
            rule.effective_from = now.date()
        rule.full_clean()
        rule.save()
        _snapshot(rule, now=now, editor=editor, note=note or "created")
        record_audit(
            actor=editor,
            action="governance.rule_created",
            target=rule,
            after={"version": 1, **{k: str(v) for k, v in rule.substance().items()}},
        )
        return rule


def update_rule(
    *,
    editor,
    rule_id: int,
    changes: dict,
    now: datetime,
    note: str = "",
    is_active: bool | None = None,
) -> Rule:
    """Apply ``changes`` (substance fields) to a rule. If anything of substance
    changed, the version goes up, the new version takes effect today, and a
    RuleVersion row keeps it. Returns the rule."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule_id)
        before = rule.substance()
        changed = {
            name: value
            for name, value in changes.items()
            if name in SUBSTANCE and before[name] != value
        }
        active_changed = is_active is not None and is_active != rule.is_active
        if not changed and not active_changed:
            return rule
        for name, value in changed.items():
            setattr(rule, name, value)
        if active_changed:
            rule.is_active = is_active
        if changed:
            rule.version += 1
            rule.effective_from = now.date()
        rule.updated_at = now
        rule.full_clean()
        rule.save()
        if changed:
            _snapshot(rule, now=now, editor=editor, note=note)
        record_audit(
            actor=editor,
            action="governance.rule_changed",
            target=rule,
            reason=note,
            before={k: str(before[k]) for k in changed}
            | ({"is_active": not rule.is_active} if active_changed else {}),
            after={k: str(v) for k, v in changed.items()}
            | {"version": rule.version}
            | ({"is_active": rule.is_active} if active_changed else {}),
        )
        return rule
