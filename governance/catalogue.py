"""The rules catalogue as data: ``governance/data/rules.json``.

``sync_catalogue`` loads it into ``Rule``/``RuleVersion`` (used by the data
migration and ``manage.py sync_rules``). It is idempotent and never undoes a staff
edit: a rule from the file is written only when it is new or when the file's
``version`` is higher than the database's; each write records a ``RuleVersion``.
It takes the model classes as arguments so the migration can pass its historical
models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from .models.rules import Rule as CurrentRule

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "rules.json"
# What a rule version fixes: the model's list (the file's entries carry each).
SUBSTANCE = CurrentRule.SUBSTANCE_FIELDS


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    diverged: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.diverged:
            text += (
                f"; {len(self.diverged)} differ from the file at the same version "
                f"(edited by staff, left as they are): {', '.join(self.diverged)}"
            )
        return text


def load_catalogue(path: Path | None = None) -> list[dict]:
    with open(path or CATALOGUE_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    rules = data["rules"]
    codes = [r["code"] for r in rules]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate rule codes in the catalogue")
    return rules


def sync_catalogue(*, Rule, RuleVersion, entries: list[dict], now) -> SyncResult:  # noqa: N803
    result = SyncResult()
    diverged = []
    with transaction.atomic():
        existing = {r.code: r for r in Rule.objects.select_for_update().order_by("pk")}
        for entry in entries:
            fields = {name: entry[name] for name in SUBSTANCE}
            effective = date.fromisoformat(entry["effective_from"])
            version = int(entry.get("version", 1))
            rule = existing.get(entry["code"])
            if rule is None:
                rule = Rule.objects.create(
                    code=entry["code"],
                    category=entry["category"],
                    version=version,
                    effective_from=effective,
                    updated_at=now,
                    **fields,
                )
                result.created += 1
            elif version > rule.version:
                for name, value in fields.items():
                    setattr(rule, name, value)
                rule.category = entry["category"]
                rule.version = version
                rule.effective_from = effective
                rule.updated_at = now
                rule.save()
                result.updated += 1
            else:
                if version == rule.version and any(
                    getattr(rule, n) != v for n, v in fields.items()
                ):
                    diverged.append(rule.code)
                result.unchanged += 1
                continue
            RuleVersion.objects.create(
                rule=rule,
                version=rule.version,
                effective_from=rule.effective_from,
                created_at=now,
                change_note="catalogue file",
                **fields,
            )
    result.diverged = tuple(diverged)
    return result
