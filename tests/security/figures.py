"""Figures the security suites report: how many URL×role cases, fuzzed submissions,
upload attacks and fault scenarios ran, and how many failed.

Each suite calls ``record``; the figures are merged into a JSON file
(``HANDOFF_SECURITY_RESULTS``, default ``<var>/security-results.json``) so that the
fault group, which runs in its own pytest invocation with its own services, adds
to the same summary line that the main run prints at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

KINDS = {
    "access": "URL×role cases",
    "mfa_less_staff": "URL×MFA-less staff cases",
    "fuzz": "fuzzed submissions",
    "uploads": "upload attacks",
    "webhooks": "webhook attacks",
    "webhook-fuzz": "fuzzed webhook events",
    "faults": "fault scenarios",
    "proxy": "proxy client-address cases",
    "hostile": "hostile-client requests",
}
_current: dict[str, dict[str, int]] = {}


def results_path() -> Path:
    explicit = os.environ.get("HANDOFF_SECURITY_RESULTS")
    if explicit:
        return Path(explicit)
    from django.conf import settings

    return Path(settings.VAR_DIR) / "security-results.json"


def record(kind: str, *, checked: int, failed: int, **extra: int) -> None:
    entry = _current.setdefault(kind, {"checked": 0, "failed": 0})
    entry["checked"] += checked
    entry["failed"] += failed
    for key, value in extra.items():
        entry[key] = entry.get(key, 0) + value


def flush() -> dict:
    """Merge this run's figures into the results file; return the merged figures."""
    path = results_path()
    merged: dict = {}
    if path.exists():
        try:
            merged = json.loads(path.read_text())
        except ValueError:
            merged = {}
    merged.update(_current)
    if _current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2, sort_keys=True))
    return merged


def summary_line(merged: dict) -> str:
    parts = []
    for kind, label in KINDS.items():
        entry = merged.get(kind)
        if not entry:
            continue
        text = f"{entry['checked']} {label}"
        if kind == "fuzz" and "validated" in entry:
            text += f" ({entry['validated']} reached form validation)"
        parts.append(f"{text}, {entry['failed']} failed")
    return "security: " + ("; ".join(parts) if parts else "no security suite ran")
