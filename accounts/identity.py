"""Identity-provider adapter: who checks that a submitted document is genuine.

``settings.IDENTITY_PROVIDER`` names the provider class (dotted path):

- ``accounts.identity.ManualReviewProvider`` (default): a moderator looks at the
  uploaded document photo in the admin and approves or rejects it.
- ``accounts.identity.StripeIdentityProvider``: Stripe Identity checks the document
  (and a selfie) in its hosted flow; its webhook events
  ``identity.verification_session.verified`` / ``requires_input`` approve or reject
  the submission through the same services a moderator uses.

Frozen dataclasses cross the boundary; nothing of a provider's SDK leaks out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULT_PROVIDER = "accounts.identity.ManualReviewProvider"


@dataclass(frozen=True)
class IdentityCheckRequest:
    """What a provider needs to start checking one submission."""

    verification_id: int
    user_id: int
    email: str
    document_type: str
    country: str
    return_url: str


@dataclass(frozen=True)
class IdentityCheckSession:
    """A started check. ``redirect_url`` is where the user continues (None: nothing to do)."""

    provider: str
    reference: str
    redirect_url: str | None = None


@dataclass(frozen=True)
class IdentityCheckOutcome:
    """A provider's verdict on a check, parsed from a verified webhook event.

    ``status`` is ``"verified"`` or ``"requires_input"``; ``reason`` is a short
    user-facing explanation when the check failed.
    """

    provider: str
    reference: str
    status: str
    event_id: str
    reason: str = ""
    verification_id: int | None = None


class IdentityProvider:
    """Interface. ``name`` is stored on each verification."""

    name = "manual"
    #: True when the provider collects the document photo itself (our upload optional).
    collects_document = False

    @classmethod
    def check_configuration(cls) -> list[str]:
        return []

    def start_check(self, request: IdentityCheckRequest) -> IdentityCheckSession:
        raise NotImplementedError

    def parse_webhook(self, payload: bytes, signature: str) -> IdentityCheckOutcome | None:
        raise NotImplementedError


class ManualReviewProvider(IdentityProvider):
    """A moderator reviews the uploaded document in the admin: nothing to call."""

    name = "manual"

    def start_check(self, request: IdentityCheckRequest) -> IdentityCheckSession:
        return IdentityCheckSession(provider=self.name, reference="")

    def parse_webhook(self, payload: bytes, signature: str) -> IdentityCheckOutcome | None:
        return None


@lru_cache(maxsize=1)
def get_identity_provider() -> IdentityProvider:
    path = getattr(settings, "IDENTITY_PROVIDER", "") or DEFAULT_PROVIDER
    return import_string(path)()


def _reset(**kwargs):
    if kwargs.get("setting", "").startswith(("IDENTITY_", "STRIPE_")):
        get_identity_provider.cache_clear()


setting_changed.connect(_reset, dispatch_uid="accounts-identity-reset")
