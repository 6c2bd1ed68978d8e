"""Precision and recall per rule on the committed corpus, development and
held-out parts: ``python -m governance.detectors.evaluate [--mistakes]`` (also
``manage.py evaluate_detectors``). Needs no database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import DETECTOR_RULES, DETECTOR_VERSION, scan_text

DATA = Path(__file__).resolve().parents[2] / "tests" / "governance" / "data"
PARTS = {
    "dev": DATA / "detector_dev.jsonl",
    "held-out": DATA / "detector_heldout.jsonl",
    # written fresh in December 2026 before the detector change it measured;
    # the older held-out part had been read by then (docs/governance.md)
    "fresh": DATA / "detector_fresh.jsonl",
    # round 3: written before the fixes of detector 2026.12.3, new channels and
    # disguises in zh (also Traditional), en, mixed and pinyin
    "round3": DATA / "detector_round3.jsonl",
    # other phrasings of round 3's families, written after its fixes to check
    # that they generalise (docs/governance.md)
    "round3b": DATA / "detector_round3b.jsonl",
}


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(cases: list[dict]) -> dict:
    """Per rule: tp, fp, fn, precision, recall; and the mistaken cases."""
    counts = {rule: {"tp": 0, "fp": 0, "fn": 0} for rule in DETECTOR_RULES}
    mistakes = []
    for case in cases:
        got = {f.rule_code for f in scan_text(case["text"])}
        expected = set(case["expect"])
        for rule in DETECTOR_RULES:
            if rule in got and rule in expected:
                counts[rule]["tp"] += 1
            elif rule in got:
                counts[rule]["fp"] += 1
            elif rule in expected:
                counts[rule]["fn"] += 1
        if got != expected:
            mistakes.append({"text": case["text"], "expect": sorted(expected), "got": sorted(got)})
    for c in counts.values():
        c["precision"] = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        c["recall"] = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {"rules": counts, "cases": len(cases), "mistakes": mistakes}


def report(out=sys.stdout, show_mistakes: bool = False) -> dict:
    results = {}
    out.write(f"detector version {DETECTOR_VERSION}\n")
    for part, path in PARTS.items():
        result = evaluate(load(path))
        results[part] = result
        out.write(f"\n{part}: {result['cases']} cases ({path.name})\n")
        out.write(f"  {'rule':<8}{'precision':>10}{'recall':>8}{'tp':>6}{'fp':>5}{'fn':>5}\n")
        for rule, c in result["rules"].items():
            out.write(
                f"  {rule:<8}{c['precision']:>10.3f}{c['recall']:>8.3f}{c['tp']:>6}{c['fp']:>5}{c['fn']:>5}\n"
            )
        if show_mistakes:
            for m in result["mistakes"]:
                out.write(f"    expected {m['expect']} got {m['got']}: {m['text']}\n")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mistakes", action="store_true", help="list the misclassified cases")
    args = parser.parse_args(argv)
    report(show_mistakes=args.mistakes)


if __name__ == "__main__":
    main()
