"""The e-mail outbox in tests: e-mails are rows until the outbox job sends them."""

from __future__ import annotations

from contextlib import contextmanager


def send_outbox() -> int:
    """What beat's ``marketplace.send_due_emails`` does: send every due e-mail."""
    from kernel.tasks import send_due

    return send_due()


@contextmanager
def outbox_sent():
    """On leaving the block, the outbox job runs once (place it outside
    ``django_capture_on_commit_callbacks`` so the callbacks run first)."""
    yield
    send_outbox()
