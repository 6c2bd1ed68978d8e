"""The rules catalogue: loaded by the migration, synced idempotently, versioned."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from accounts.models import AuditEntry
from governance import services
from governance.catalogue import load_catalogue
from governance.models import Category, Rule, RuleVersion, Severity

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_migration_loaded_every_rule_of_every_category_with_both_languages():
    entries = load_catalogue()
    assert len(entries) >= 30
    assert Rule.objects.count() == len(entries)
    assert set(Rule.objects.values_list("category", flat=True)) == set(Category.values)
    assert set(Rule.objects.values_list("severity", flat=True)) == set(Severity.values)
    for rule in Rule.objects.all():
        assert rule.title_en and rule.title_zh and rule.description_en and rule.description_zh
        assert rule.versions.filter(version=rule.version).exists()


def test_sync_rules_is_idempotent(capsys):
    before = RuleVersion.objects.count()
    call_command("sync_rules")
    call_command("sync_rules")
    assert RuleVersion.objects.count() == before
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_a_higher_version_in_the_file_updates_the_rule_and_keeps_history(tmp_path):
    entries = load_catalogue()
    entry = next(e for e in entries if e["code"] == "BEH-08")
    entry.update(version=2, description_en="New wording.", effective_from="2026-07-01")
    path = tmp_path / "rules.json"
    import json

    path.write_text(json.dumps({"rules": entries}), encoding="utf-8")
    call_command("sync_rules", file=str(path))
    rule = Rule.objects.get(code="BEH-08")
    assert rule.version == 2 and rule.description_en == "New wording."
    assert list(rule.versions.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert rule.versions.get(version=1).description_en != "New wording."


def test_a_staff_edit_of_substance_bumps_the_version_and_is_audited(moderator):
    rule = Rule.objects.get(code="LST-04")
    services.update_rule(
        editor=moderator, rule_id=rule.pk, changes={"points_half": 1}, now=NOW, note="softer"
    )
    rule.refresh_from_db()
    assert (rule.version, rule.points_half, rule.effective_from) == (2, 1, NOW.date())
    assert rule.versions.get(version=1).points_half == 2
    assert AuditEntry.objects.filter(
        action="governance.rule_changed", target_id=str(rule.pk)
    ).exists()
    # no substance change: no new version
    services.update_rule(editor=moderator, rule_id=rule.pk, changes={"points_half": 1}, now=NOW)
    assert Rule.objects.get(pk=rule.pk).version == 2


def test_points_must_match_the_severity():
    from django.core.exceptions import ValidationError

    rule = Rule.objects.get(code="LST-04")
    with pytest.raises(ValidationError):
        services.update_rule(editor=None, rule_id=rule.pk, changes={"points_half": 5}, now=NOW)
    assert Rule.objects.get(pk=rule.pk).version == 1
