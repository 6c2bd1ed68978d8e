"""Chart data for the public transparency page, from the monthly snapshots only.

The page draws the charts on the server (inline SVG whose sizes are attributes,
not inline styles, so the Content-Security-Policy allows them and no JavaScript is
needed); this module turns figures into rows with a bar length in percent of the
chart's largest value. Integer arithmetic: a bar is never longer than 100.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Rule, Sanction, TransparencySnapshot

#: The three monthly series, in drawing order: (key, path into the snapshot data).
SERIES = (
    ("reports", ("reports_received", "total")),
    ("violations", ("violations", "total")),
    ("measures", ("sanctions", "total")),
)
#: Geometry of the month-by-month chart, in SVG user units.
COLUMN = 8
GROUP_GAP = 10
PLOT_HEIGHT = 100


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int
    percent: int
    category: str = ""


def _percent(value: int, largest: int) -> int:
    if largest <= 0 or value <= 0:
        return 0
    return max(1, value * 100 // largest)  # a non-zero figure stays visible


def _bars(items: list[tuple[str, str, int]], categories: list[str] | None = None) -> list[Bar]:
    largest = max((value for _k, _l, value in items), default=0)
    categories = categories or [""] * len(items)
    return [
        Bar(key, label, value, _percent(value, largest), category)
        for (key, label, value), category in zip(items, categories, strict=True)
    ]


def _figure(data: dict, path: tuple[str, str]) -> int:
    return int(data.get(path[0], {}).get(path[1], 0) or 0)


def rule_titles() -> dict[str, str]:
    """code → title in the active language (one query)."""
    return {rule.code: rule.title for rule in Rule.objects.all()}


def month_charts(snapshot: TransparencySnapshot, titles: dict[str, str]) -> dict:
    """The bars of one month: violations by rule, measures by kind."""
    data = snapshot.data
    rows = data.get("violations", {}).get("by_rule", [])
    by_rule = _bars(
        [(row["rule"], titles.get(row["rule"], ""), int(row["count"])) for row in rows],
        [row.get("category", "") for row in rows],
    )
    sanctions = data.get("sanctions", {})
    by_action = _bars(
        [(kind, label, int(sanctions.get(kind, 0) or 0)) for kind, label in Sanction.Kind.choices]
    )
    return {"by_rule": by_rule, "by_action": by_action}


def timeline(snapshots: list[TransparencySnapshot]) -> dict:
    """Month by month, oldest first: columns for reports, violations and measures,
    scaled to the largest figure of the period shown."""
    ordered = sorted(snapshots, key=lambda s: s.month)
    largest = max(
        (_figure(s.data, path) for s in ordered for _key, path in SERIES),
        default=0,
    )
    group_width = COLUMN * len(SERIES) + GROUP_GAP
    months = []
    for index, snap in enumerate(ordered):
        columns = []
        for position, (key, path) in enumerate(SERIES):
            value = _figure(snap.data, path)
            height = _percent(value, largest) * PLOT_HEIGHT // 100
            columns.append(
                {
                    "key": key,
                    "value": value,
                    "x": index * group_width + position * COLUMN + GROUP_GAP // 2,
                    "y": PLOT_HEIGHT - height,
                    "height": height,
                }
            )
        months.append(
            {
                "month": snap.month,
                "complete": snap.complete,
                "columns": columns,
                "label_x": index * group_width + group_width // 2,
                **{key: _figure(snap.data, path) for key, path in SERIES},
            }
        )
    return {
        "months": months,
        # At least six months wide, so one or two months do not fill the chart.
        "width": group_width * max(len(ordered), 6),
        "column": COLUMN - 1,
        "plot_height": PLOT_HEIGHT,
        "height": PLOT_HEIGHT + 16,
        "largest": largest,
    }
