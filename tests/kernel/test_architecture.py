"""The architecture contracts of pyproject.toml ([tool.importlinter]), checked by
import-linter as CI does: the layers (composition root, apps, kernel) and no import
cycle inside each package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(*contracts: str) -> subprocess.CompletedProcess:
    args = [str(LINT_IMPORTS), "--no-cache"]
    for contract in contracts:
        args += ["--contract", contract]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "contract",
    ["layers", "acyclic-kernel", "acyclic-accounts", "acyclic-governance", "acyclic-listings"],
)
def test_the_contract_is_kept(contract):
    result = _lint(contract)
    assert result.returncode == 0, result.stdout + result.stderr
