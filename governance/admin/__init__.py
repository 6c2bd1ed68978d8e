"""Moderator screens for governance: ``reports`` (the report queue) and
``decisions`` (appeals, rules, records); each registers its ModelAdmins when
imported."""

from . import decisions, reports  # noqa: F401
