from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions from the database (beat: nightly)."""
    call_command("clearsessions")


@shared_task(name="accounts.tasks.process_verification_expiry")
def process_verification_expiry(now: str | None = None) -> dict:
    """Remind users whose verification ends soon, then expire ended ones (beat: hourly).

    ``now`` (ISO 8601) lets a test or an operator run the job for a given instant.
    """
    from kernel.jobs import task_now

    from .services import process_verification_expiry as run

    return run(now=task_now(now))


# Retention jobs live in their own module; importing it here registers them
# (Celery autodiscovers only <app>.tasks).
from .retention import delete_expired_identity_documents_task  # noqa: E402, F401
