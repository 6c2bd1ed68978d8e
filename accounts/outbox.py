"""E-mails other than deal notifications, through the one outbox
(``kernel.outbox``), in the recipient's language.

An app registers each kind of e-mail it sends with ``email_kind`` (a function that
renders the subject and body from the row's ``params``, called with the
recipient's language active) and queues one with ``queue_email`` inside the
transaction of the step that causes it. Nothing is sent in the request: a mail
server that is down delays the e-mail, never the step (``marketplace.send_due_emails``
sends it, retrying).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from kernel import outbox

from .models import Email, User


@dataclass(frozen=True)
class Kind:
    render: Callable[[Email], tuple[str, str]]
    after_sent: Callable[[Email], None] | None = None


KINDS: dict[str, Kind] = {}


def email_kind(name: str, *, after_sent: Callable[[Email], None] | None = None):
    """Decorator: ``render(email) -> (subject, body)`` for e-mails of kind ``name``
    (called with the recipient's language active; read ids from ``email.params``).
    ``after_sent(email)`` runs once the e-mail went out."""

    def register(render):
        KINDS[name] = Kind(render=render, after_sent=after_sent)
        return render

    return register


def language_for(user: User | None) -> str:
    """The language to write to ``user`` in: the one they chose or signed in with;
    for an account from before languages were stored, the one they last submitted
    their identity verification in; else the site's default."""
    codes = {code for code, _name in settings.LANGUAGES}
    language = getattr(user, "language", "") or ""
    if not language and user is not None and user.pk:
        from .models import IdentityVerification

        language = (
            IdentityVerification.objects.filter(user_id=user.pk)
            .exclude(language="")
            .order_by("-pk")
            .values_list("language", flat=True)
            .first()
        ) or ""
    return language if language in codes else settings.LANGUAGE_CODE


def queue_email(
    *,
    kind: str = "",
    user: User | None = None,
    user_id: int | None = None,
    to: str = "",
    params: dict | None = None,
    subject: str = "",
    body: str = "",
) -> Email | None:
    """Put an e-mail in the outbox, in the caller's transaction. Either ``kind``
    (registered with ``email_kind``; rendered when sent, in ``user``'s language)
    or a ready ``subject`` and ``body``. To ``user`` (or ``user_id``; their address
    when sent) or to the address ``to``. None (no row) while
    ``NOTIFICATION_EMAILS`` is off."""
    if kind and kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    if user is not None:
        user_id = user.pk
    if user_id is None and not to:
        raise ValueError("an e-mail needs a user or an address")
    fields = outbox.due_fields()
    if fields["email_state"] != outbox.EmailState.PENDING:
        return None  # e-mails are off (seed_demo's made-up people)
    return Email.objects.create(
        kind=kind,
        user_id=user_id,
        to=to,
        params=params or {},
        subject=subject[:255],
        body=body,
        **fields,
    )


def render(email: Email) -> outbox.Message:
    recipient = [email.user.email] if email.user_id else [email.to]
    if not email.kind:
        return outbox.Message(email.subject, email.body, recipient)
    with translation.override(language_for(email.user)):
        subject, body = KINDS[email.kind].render(email)
    subject = " ".join(str(subject).split())
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    if not subject.startswith(prefix):
        subject = prefix + subject
    return outbox.Message(subject, body, recipient)


def after_sent(email: Email) -> None:
    if not email.kind:
        # Ready-made text (allauth's messages carry sign-in links and reset keys):
        # no copy is kept once it went out.
        Email.objects.filter(pk=email.pk).update(body="")
        return
    kind = KINDS.get(email.kind)
    if kind is not None and kind.after_sent is not None:
        kind.after_sent(email)


OUTBOX = outbox.Outbox(
    label="accounts.email",
    model=Email,
    render=render,
    select_related=("user",),
    after_sent=after_sent,
)
