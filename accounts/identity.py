"""Identity-provider adapter: who checks that a submitted document is genuine.

``settings.IDENTITY_PROVIDER`` names the provider class (dotted path):

- ``accounts.identity.ManualReviewProvider`` (default): a moderator looks at the
  uploaded document photo in the admin and approves or rejects it.
- ``accounts.identity.StripeIdentityProvider``: Stripe Identity checks the document
  (and a selfie) in its hosted flow; its webhook events
  ``identity.verification_session.verified`` / ``requires_input`` approve or reject
  the submission through the same services a moderator uses. The provider wins:
  an event only says *which* session changed; its verdict is read back from
  Stripe (``confirm``), so a late, out-of-order or replayed event can only apply
  what Stripe says now.

Frozen dataclasses cross the boundary; nothing of a provider's SDK leaks out.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULT_PROVIDER = "accounts.identity.ManualReviewProvider"

logger = logging.getLogger("handoff.accounts")


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
    #: The date of birth the provider read on the document, when it says one.
    date_of_birth: datetime.date | None = None


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

    def confirm(self, outcome: IdentityCheckOutcome) -> IdentityCheckOutcome | None:
        """The provider's verdict now on the session ``outcome`` (from an event)
        names, or None when it has none to apply (still processing, cancelled,
        unknown). Raises ``ProviderError`` when the provider cannot be reached."""
        return outcome


class ManualReviewProvider(IdentityProvider):
    """A moderator reviews the uploaded document in the admin: nothing to call."""

    name = "manual"

    def start_check(self, request: IdentityCheckRequest) -> IdentityCheckSession:
        return IdentityCheckSession(provider=self.name, reference="")

    def parse_webhook(self, payload: bytes, signature: str) -> IdentityCheckOutcome | None:
        return None


class StripeIdentityProvider(IdentityProvider):
    """Stripe Identity: a hosted document + selfie check (VerificationSession).

    Needs ``STRIPE_SECRET_KEY`` and ``STRIPE_IDENTITY_WEBHOOK_SECRET`` (which defaults
    to ``STRIPE_WEBHOOK_SECRET``); the webhook endpoint is
    ``/webhooks/stripe/identity/`` with the events ``identity.verification_session.verified``
    and ``identity.verification_session.requires_input``.
    """

    name = "stripe_identity"
    collects_document = True
    #: A ``stripe.HTTPClient`` to use instead of the network (tests stub Stripe here).
    http_client = None

    ALLOWED_TYPES = {
        "passport": ["passport"],
        "cn_resident_id": ["id_card"],
        "cn_residence_permit": ["id_card"],
        "cn_permanent_res": ["id_card"],
        "hkmo_travel_permit": ["id_card"],
        "tw_travel_permit": ["id_card"],
        "other": ["id_card", "driving_license", "passport"],
    }
    EVENTS = {
        "identity.verification_session.verified": "verified",
        "identity.verification_session.requires_input": "requires_input",
    }

    @classmethod
    def check_configuration(cls) -> list[str]:
        problems = []
        if not settings.STRIPE_SECRET_KEY:
            problems.append("STRIPE_SECRET_KEY is not set (needed by Stripe Identity).")
        if not settings.STRIPE_IDENTITY_WEBHOOK_SECRET:
            problems.append(
                "STRIPE_IDENTITY_WEBHOOK_SECRET (or STRIPE_WEBHOOK_SECRET) is not set: "
                "identity webhooks could not be verified."
            )
        return problems

    def _client(self):
        import stripe

        kwargs = {"max_network_retries": 2}
        if self.http_client is not None:
            kwargs["http_client"] = self.http_client
        if settings.STRIPE_API_BASE:
            kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)

    def start_check(self, request: IdentityCheckRequest) -> IdentityCheckSession:
        import stripe

        from .exceptions import ProviderError

        params = {
            "type": "document",
            "client_reference_id": f"handoff-verification-{request.verification_id}",
            "metadata": {
                "verification_id": str(request.verification_id),
                "user_id": str(request.user_id),
            },
            "options": {
                "document": {
                    "allowed_types": self.ALLOWED_TYPES.get(request.document_type, ["id_card"]),
                    "require_matching_selfie": True,
                }
            },
            "provided_details": {"email": request.email},
            "return_url": request.return_url,
        }
        try:
            session = self._client().v1.identity.verification_sessions.create(
                params=params,
                # Our own id: a retry never opens a second session for one submission.
                options={"idempotency_key": f"identity-session-{request.verification_id}"},
            )
        except stripe.StripeError as exc:
            raise ProviderError() from exc
        data = session.to_dict()
        return IdentityCheckSession(
            provider=self.name, reference=data["id"], redirect_url=data.get("url")
        )

    def parse_webhook(self, payload: bytes, signature: str) -> IdentityCheckOutcome | None:
        """Verify the signature (raises ValueError) and read the events we handle."""
        import stripe

        try:
            event = stripe.Webhook.construct_event(
                payload, signature, settings.STRIPE_IDENTITY_WEBHOOK_SECRET
            )
        except stripe.SignatureVerificationError as exc:
            raise ValueError("bad signature") from exc
        except (AttributeError, TypeError, RecursionError) as exc:  # signed, not an event
            raise ValueError("malformed event") from exc
        event = event.to_dict()
        # A signed body is still checked field by field: a wrong type, a missing
        # key or an id no column can hold is a 400, never a 500 (issue 18).
        type_ = event.get("type")
        status = self.EVENTS.get(type_) if isinstance(type_, str) else None
        if status is None:
            return None
        data = event.get("data")
        session = data.get("object") if isinstance(data, dict) else None
        if not isinstance(session, dict):
            raise ValueError("malformed event")
        metadata = session.get("metadata") or {}
        error = session.get("last_error") or {}
        if not isinstance(metadata, dict) or not isinstance(error, dict):
            raise ValueError("malformed event")
        reason = _reason(error) if status == "requires_input" else ""
        raw_id = metadata.get("verification_id", "")
        ours = (
            isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 18
        )
        return IdentityCheckOutcome(
            provider=self.name,
            reference=_text(session.get("id"), 255),
            status=status,
            event_id=_text(event.get("id"), 255),
            reason=reason,
            verification_id=int(raw_id) if ours else None,
        )

    def confirm(self, outcome: IdentityCheckOutcome) -> IdentityCheckOutcome | None:
        import dataclasses

        import stripe

        from .exceptions import ProviderError

        sessions = self._client().v1.identity.verification_sessions
        try:
            try:
                session = sessions.retrieve(
                    outcome.reference,
                    # The date of birth is only returned when asked for: the age rule
                    # must hold against the document, not only the declaration.
                    params={"expand": ["verified_outputs", "verified_outputs.dob"]},
                )
            except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
                if getattr(exc, "http_status", None) == 404:
                    raise
                # A key not allowed to read the date of birth still gets the
                # verdict; the approval then checks the declared date (as a
                # moderator's does), and operators are told.
                logger.warning("Stripe Identity: date of birth not readable (%s)", exc.code)
                session = sessions.retrieve(outcome.reference)
        except stripe.InvalidRequestError:
            return None  # not a session of this account: nothing to apply
        except stripe.StripeError as exc:
            raise ProviderError() from exc
        data = session.to_dict()
        status = data.get("status")
        if status not in ("verified", "requires_input"):
            return None  # processing or canceled: a later event brings the verdict
        error = data.get("last_error") or {}
        reason = _reason(error) if status == "requires_input" and isinstance(error, dict) else ""
        outputs = data.get("verified_outputs")
        dob = _date(outputs.get("dob")) if isinstance(outputs, dict) else None
        return dataclasses.replace(outcome, status=status, reason=reason, date_of_birth=dob)


def _date(value) -> datetime.date | None:
    """Stripe's ``{day, month, year}`` as a date; None for anything else."""
    if not isinstance(value, dict):
        return None
    try:
        return datetime.date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _reason(error: dict) -> str:
    """Why a check failed, shown to the user: printable, at most 500 characters."""
    given = error.get("reason") or error.get("code") or ""
    return "".join(ch for ch in given if ch.isprintable())[:500] if isinstance(given, str) else ""


def _text(value, limit: int) -> str:
    """A provider id we store: printable (no NUL, control characters or lone
    surrogates), not empty, within ``limit``; raises ValueError otherwise."""
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise ValueError("malformed event")
    return value


@lru_cache(maxsize=1)
def get_identity_provider() -> IdentityProvider:
    path = getattr(settings, "IDENTITY_PROVIDER", "") or DEFAULT_PROVIDER
    return import_string(path)()


def _reset(**kwargs):
    if kwargs.get("setting", "").startswith(("IDENTITY_", "STRIPE_")):
        get_identity_provider.cache_clear()


setting_changed.connect(_reset, dispatch_uid="accounts-identity-reset")
