"""Every catalogue is complete: no untranslated and no fuzzy message (msgfmt)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_catalogues_exist_for_every_app():
    owners = {p.parts[len(ROOT.parts)] for p in CATALOGUES}
    assert {"locale", "accounts", "listings", "escrow", "governance"} <= owners


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (gettext) is required"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    print(po.relative_to(ROOT), result.stderr.strip())
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, (
        f"{mo} is stale: run make messages"
    )
