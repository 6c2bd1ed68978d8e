from django.dispatch import Signal

#: Sent (after commit) when a document number already verified for one account is
#: submitted by another. Receivers get ``flag`` (an ``accounts.ImpersonationFlag``,
#: carrying only the number's hash and last 4 characters) and ``user`` (who submitted
#: it). Governance subscribes to open a report; accounts itself only queues the flag
#: for moderators.
possible_impersonation = Signal()
