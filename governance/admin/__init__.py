"""Moderator screens: the report queue (filter, claim, evidence beside the decision,
confirm/dismiss with a reason, bulk actions, precautionary freeze), the appeal
queue, and read-only records. Every action goes through ``governance.services``
(which audits it); nothing here writes a governance row directly. Moderators
cannot edit records: the change pages are read-only.

``reports`` holds the report queue; ``decisions`` the appeals, the rules catalogue
and the records. Each registers its ModelAdmins when imported."""

from . import decisions, reports  # noqa: F401
