"""The simulated provider's courier: it sends a stored event, signed, to the same
public entry the real provider's deliveries reach (``webhooks.handle_webhook``,
which the webhook view calls). It sits above both the gateway and the webhooks, so
neither imports the other."""

from __future__ import annotations

import logging

from .gateways.simulated import sign
from .models import SimEvent
from .webhooks import handle_webhook

logger = logging.getLogger(__name__)


def deliver_event(event_id: str, *, timestamp: int | None = None) -> int:
    """Send one stored event, signed, to our webhook handler (in process). Returns
    the HTTP-like status the handler answered with."""
    event = SimEvent.objects.filter(pk=event_id).first()
    if event is None:
        return 404
    payload = event.payload.encode()
    try:
        return handle_webhook(payload=payload, signature=sign(payload, timestamp=timestamp))
    except Exception:  # the provider only sees a failed delivery
        logger.exception("simulated webhook delivery of %s failed", event_id)
        return 500
