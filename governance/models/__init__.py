"""Governance data: the rules catalogue, reports, violations, sanctions, statements
of reasons, appeals and the transparency snapshots.

Points are stored as integers of half-points everywhere (``*_half`` fields): 24
half-points are the 12 points every user has in a rolling 365-day window.
Writes go through ``governance.services``; these models hold the invariants the
database can keep (constraints, one appeal per decision, one open report per
reporter+subject+rule).

One module per capability; everything is re-exported here, so code imports
``from governance.models import …`` and Django finds every model.
"""

from .appeals import Appeal, AppealFile
from .jobs import RescanState, TransparencySnapshot
from .reports import Report
from .rules import (
    SEVERITY_HALF_POINTS,
    Category,
    DefaultSanction,
    Detection,
    Rule,
    RuleSubstance,
    RuleVersion,
    Severity,
)
from .sanctions import Sanction, SanctionQuerySet, Violation
from .statements import StatementOfReasons

__all__ = [
    "SEVERITY_HALF_POINTS",
    "Appeal",
    "AppealFile",
    "Category",
    "DefaultSanction",
    "Detection",
    "RescanState",
    "Report",
    "Rule",
    "RuleSubstance",
    "RuleVersion",
    "Sanction",
    "SanctionQuerySet",
    "Severity",
    "StatementOfReasons",
    "TransparencySnapshot",
    "Violation",
]
