"""What the system writes into a record in English ("deal 12 released", "refund of
a watched deal"), said in the reader's language when it is shown. The rows keep
the English as recorded (search, logs, exports); a text that matches none of the
patterns — a moderator's own reason — is shown as written.

The wording here is the moderators' (the record as staff read it). An audience
may have its own for some records (``register_wording``: e.g. "owner", the user a
record is about, told "your account" where moderators read "the seller's
account"); ``system_text(text, audience=…)`` uses it where there is one, else the
moderators' wording."""

from __future__ import annotations

import re

from django.utils.translation import pgettext_lazy


def _(message):
    # Its own context: "approved" or "submitted for review" mean other things as labels.
    return pgettext_lazy("recorded by the system", message)


#: The card networks' reason codes for a chargeback (Stripe's dispute reasons).
CHARGEBACK_REASONS = {
    "bank_cannot_process": _("the bank cannot process it"),
    "check_returned": _("cheque returned"),
    "credit_not_processed": _("refund not processed"),
    "customer_initiated": _("started by the customer"),
    "debit_not_authorized": _("debit not authorised"),
    "duplicate": _("charged twice"),
    "fraudulent": _("fraudulent (card used without permission)"),
    "general": _("general"),
    "incorrect_account_details": _("wrong account details"),
    "insufficient_funds": _("insufficient funds"),
    "product_not_received": _("product not received"),
    "product_unacceptable": _("product not as described"),
    "subscription_canceled": _("subscription cancelled"),
    "unrecognized": _("charge not recognised"),
}

#: The provider's statuses a webhook note quotes ("provider says needs_response").
PROVIDER_STATUSES = {
    "needs_response": _("awaiting our response"),
    "warning_needs_response": _("early warning, awaiting our response"),
    "under_review": _("under review"),
    "warning_under_review": _("early warning, under review"),
    "warning_closed": _("early warning closed"),
    "won": _("won"),
    "lost": _("lost"),
    "succeeded": _("succeeded"),
    "canceled": _("cancelled"),
    "processing": _("processing"),
    "requires_capture": _("awaiting capture"),
    "requires_payment_method": _("awaiting a payment method"),
    "requires_action": _("awaiting the cardholder's action"),
}

_DEAL_OUTCOMES = {
    "released": _("deal %(deal)s released"),
    "released by a moderator": _("deal %(deal)s released by a moderator"),
    "refunded": _("deal %(deal)s refunded"),
    "refunded after handover": _("deal %(deal)s refunded after handover"),
    "cancelled": _("deal %(deal)s cancelled"),
    "expired": _("deal %(deal)s expired unpaid"),
    "split (seller share)": _("deal %(deal)s split (seller's share)"),
}

#: Whole texts the services write.
EXACT = {
    "deal opened": _("deal opened"),
    "submitted for review": _("submitted for review"),
    "approved": _("approved"),
    "restored": _("restored"),
    "reserved": _("reserved"),
    "reservation released": _("reservation released"),
    "sold": _("sold"),
    "withdrawn by the seller": _("withdrawn by the seller"),
    "withdrawn after the credentials were shown": _("withdrawn after the credentials were shown"),
    "freeze ended": _("freeze ended"),
    "appeal upheld": _("appeal upheld"),
    "listing removed": _("listing removed"),
    "refund of a watched deal": _("refund of a watched deal"),
    "buyer's share of a split": _("buyer's share of a split"),
    "rest after a chargeback": _("rest after a chargeback"),
    "not delivered in time": _("not delivered in time"),
    "late payment": _("late payment"),
    # Governance's decisions, as escrow and listings record them.
    "the seller's account was closed (governance)": _(
        "the seller's account was closed (governance)"
    ),
    "the seller's account is frozen pending a decision (governance)": _(
        "the seller's account is frozen pending a decision (governance)"
    ),
    "hidden while the seller's account is frozen (governance)": _(
        "hidden while the seller's account is frozen (governance)"
    ),
    "removed (governance)": _("removed (governance)"),
    # Identity checks and accounts (accounts.services, the retention job).
    "Document number already verified for another account.": _(
        "Document number already verified for another account."
    ),
    "Validity period ended.": _("Validity period ended."),
    "account closed": _("account closed"),
    "closed at the user's request; personal data removed": _(
        "closed at the user's request; personal data removed"
    ),
    "The identity check could not verify your document.": _(
        "The identity check could not verify your document."
    ),
    "The identity provider read a date of birth under 18 on the document.": _(
        "The identity provider read a date of birth under 18 on the document."
    ),
    # Why a sanction ended (governance).
    "expired": _("expired"),
    "case decided: violation confirmed": _("case decided: violation confirmed"),
    "case decided: dismissed": _("case decided: dismissed"),
    # Why a rule changed (governance: its version notes).
    "catalogue file": _("from the rules catalogue file"),
    "admin edit": _("edited in the admin"),
    "created in the admin": _("created in the admin"),
    # What a reconciliation found (escrow.reconciliation), after "deal 12: ".
    "paid in our books, not captured at the provider": _(
        "paid in our books, not captured at the provider"
    ),
    "captured amounts differ": _("captured amounts differ"),
    "processing fees differ": _("processing fees differ"),
    "captured at the provider, not recorded as paid by us": _(
        "captured at the provider, not recorded as paid by us"
    ),
    "refunded in our books, unknown to the provider": _(
        "refunded in our books, unknown to the provider"
    ),
    "refunded amounts differ": _("refunded amounts differ"),
    "paid in our books, no transfer at the provider": _(
        "paid in our books, no transfer at the provider"
    ),
    "amounts differ": _("amounts differ"),
    "transferred at the provider, no paid payout in our books": _(
        "transferred at the provider, no paid payout in our books"
    ),
    "ledger provider_cash differs from the provider's balance": _(
        "our ledger's cash at the provider differs from the provider's balance"
    ),
    # A provider event's outcome (escrow.webhooks): the fixed ones.
    "nothing to apply for this type": _("nothing to apply for this type"),
    "not a payment of ours": _("not a payment of ours"),
    "no dispute id": _("no dispute id"),
    "a dispute on a payment that is not ours": _("a dispute on a payment that is not ours"),
    "a refund of a payment that is not ours": _("a refund of a payment that is not ours"),
    "our refunds re-checked with the provider": _("our refunds re-checked with the provider"),
    "a transfer that is not ours": _("a transfer that is not ours"),
    "our payout re-checked with the provider": _("our payout re-checked with the provider"),
    "not an account of ours": _("not an account of ours"),
    **CHARGEBACK_REASONS,
    **PROVIDER_STATUSES,
}

#: (pattern, message with the pattern's named groups).
PATTERNS = [
    (re.compile(r"deal (?P<deal>\d+) paid \((?P<ref>[^)]*)\)"), _("deal %(deal)s paid (%(ref)s)")),
    (
        re.compile(r"deal (?P<deal>\d+) refunded \((?P<ref>[^)]*)\)"),
        _("deal %(deal)s refunded (%(ref)s)"),
    ),
    (
        re.compile(r"payout (?P<payout>\d+) paid \((?P<ref>[^)]*)\)"),
        _("payout %(payout)s paid (%(ref)s)"),
    ),
    (
        re.compile(r"chargeback (?P<ref>\S+) lost after the deal ended"),
        _("chargeback %(ref)s lost after the deal ended"),
    ),
    (
        re.compile(r"chargeback (?P<ref>\S+) (?P<outcome>won|lost)"),
        _("chargeback %(ref)s: %(outcome)s"),
    ),
    (
        re.compile(r"chargeback (?P<ref>\S+) opened on deal (?P<deal>\d+)"),
        _("chargeback %(ref)s opened on deal %(deal)s"),
    ),
    (
        re.compile(r"Card network dispute \((?P<code>[^)]*)\)\."),
        _("Card network dispute (%(code)s)."),
    ),
    (re.compile(r"listing removed: (?P<why>.*)", re.S), _("listing removed: %(why)s")),
    (
        re.compile(r"retention: (?P<days>\d+) days after the deal ended"),
        _("retention period over: %(days)s days after the deal ended"),
    ),
    (
        re.compile(r"retention: (?P<days>\d+) days after the decision"),
        _("retention period over: %(days)s days after the decision"),
    ),
    (re.compile(r"appeal #(?P<n>\d+) upheld"), _("appeal #%(n)s upheld")),
    (
        re.compile(r"(?P<provider>[\w-]+): document verified"),
        _("%(provider)s: document verified"),
    ),
    (
        re.compile(r"removed for breaking rule (?P<rule>\S+)"),
        _("removed for breaking rule %(rule)s"),
    ),
    (re.compile(r"provider says (?P<status>[\w.-]+)"), _("the provider says: %(status)s")),
    (
        re.compile(r"provider says (?P<theirs>[\w.-]+), our record says (?P<ours>[\w.-]+)"),
        _("the provider says %(theirs)s, our record says %(ours)s"),
    ),
    (
        re.compile(r"refunded at the provider \(payment (?P<ref>[^)]*)\), not in our books"),
        _("refunded at the provider (payment %(ref)s), not in our books"),
    ),
    (
        re.compile(r"card dispute on payment (?P<ref>\S+) not recorded by us"),
        _("card dispute on payment %(ref)s not recorded by us"),
    ),
]

#: How a named value of a pattern is said, where it is no system text itself:
#: {group name: value → text}. Apps add theirs (``register_values``).
VALUE_FORMATTERS: dict = {}


def register_pattern(pattern: str, message, **formatters) -> None:
    """Another wording a service records: ``pattern`` (a regular expression with
    named groups) said as ``message``; ``formatters`` say a group's value."""
    PATTERNS.append((re.compile(pattern, re.S), message))
    VALUE_FORMATTERS.update(formatters)


#: Wordings for one audience, where it differs: {audience: [(pattern, message)]}.
AUDIENCES: dict[str, list] = {}


def register_wording(audience: str, pattern: str, message, **formatters) -> None:
    """How ``audience`` is told a record matching ``pattern`` (a regular expression
    with named groups; ``re.escape`` a whole text): ``message``, with the groups'
    values said by ``formatters`` or as system text."""
    AUDIENCES.setdefault(audience, []).append((re.compile(pattern, re.S), message))
    VALUE_FORMATTERS.update(formatters)


def _said(text: str, patterns) -> str | None:
    for pattern, message in patterns:
        found = pattern.fullmatch(text)
        if found:
            values = {
                k: VALUE_FORMATTERS[k](v) if k in VALUE_FORMATTERS else system_text(v)
                for k, v in found.groupdict().items()
            }
            return str(message) % values
    return None


def system_text(text: str | None, *, audience: str | None = None) -> str:
    """``text`` in the active language when the system wrote it, else as it is;
    in ``audience``'s own wording where it has one."""
    if not text:
        return text or ""
    if audience is not None:
        said = _said(text, AUDIENCES.get(audience, ()))
        if said is not None:
            return said
    if text in EXACT:
        return str(EXACT[text])
    deal = re.fullmatch(r"deal (?P<deal>\d+) (?P<what>.+)", text)
    if deal and deal["what"] in _DEAL_OUTCOMES:
        return str(_DEAL_OUTCOMES[deal["what"]]) % {"deal": deal["deal"]}
    about = re.fullmatch(r"(?P<what>deal|payout) (?P<id>\d+): (?P<rest>.+)", text, re.S)
    if about:
        rest = system_text(about["rest"])
        if rest != about["rest"]:  # else the whole text as written, not half translated
            message = (
                _("deal %(id)s: %(rest)s")
                if about["what"] == "deal"
                else _("payout %(id)s: %(rest)s")
            )
            return str(message) % {"id": about["id"], "rest": rest}
    said = _said(text, PATTERNS)
    return text if said is None else said
