from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions from the database (beat: nightly)."""
    call_command("clearsessions")
