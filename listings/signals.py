"""Signals listings sends; other apps (escrow) subscribe. Sent after commit."""

from django.dispatch import Signal

#: A listing was taken down by governance. kwargs: ``listing_id``, ``reason``.
#: Escrow cancels the unpaid deals on it and puts funded ones under watch.
listing_removed = Signal()
