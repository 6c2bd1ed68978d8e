"""Signals other apps subscribe to (governance never imports listings or escrow).

All are sent inside the governance transaction that made the change, so a
receiver's database writes commit or roll back with it; receivers must be quick,
idempotent, and defer their own side effects (e-mails, tasks) with
``transaction.on_commit``. ``sender`` is always the model class named below.

- ``sanction_applied(sender=Sanction, sanction, user)`` — a measure took effect.
- ``sanction_lifted(sender=Sanction, sanction, user, reason)`` — it ended early
  (decision, appeal) or ran out (``reason="expired"``).
- ``user_banned(sender=Sanction, user, sanction)`` — selling and buying closed
  (listings: take the user's listings down; escrow: cancel unpaid deals, watch funded
  ones, hold payouts — ask ``policy.payouts_held_until``).
- ``user_unbanned(sender=Sanction, user, sanction)`` — the closure ended or was overruled.
- ``user_frozen(sender=Sanction, user, sanction)`` — precautionary freeze on an S4
  case: no new deals, payouts held, listings hidden (listings: hide them).
- ``user_unfrozen(sender=Sanction, user, sanction)`` — the freeze ended with the decision.
- ``content_removal_requested(sender=Violation, subject, violation)`` — a confirmed
  violation whose rule removes the content (a listing, a message): its owner app
  takes it down.
- ``content_reinstated(sender=Violation, subject, violation)`` — the removal was
  overruled on appeal; the owner app may put it back.
- ``violation_confirmed(sender=Violation, violation)`` / ``violation_overruled(...)``.
"""

from django.dispatch import Signal

sanction_applied = Signal()
sanction_lifted = Signal()
user_banned = Signal()
user_unbanned = Signal()
user_frozen = Signal()
user_unfrozen = Signal()
content_removal_requested = Signal()
content_reinstated = Signal()
violation_confirmed = Signal()
violation_overruled = Signal()
