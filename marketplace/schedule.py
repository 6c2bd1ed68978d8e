"""The beat schedule: every app's periodic jobs, in one place (settings'
``CELERY_BEAT_SCHEDULE``). A test checks that every entry names a registered task."""

from __future__ import annotations

from celery.schedules import crontab


def beat_schedule(*, email_outbox_seconds: float) -> dict:
    return {
        "clear-expired-sessions": {
            "task": "accounts.tasks.clear_expired_sessions",
            "schedule": crontab(minute=17, hour=3),
        },
        "expire-identity-verifications": {
            "task": "accounts.tasks.process_verification_expiry",
            "schedule": crontab(minute=7),  # hourly: reminders, then expiry
        },
        # escrow: deadlines are due_at columns; these jobs scan them (SKIP LOCKED).
        "escrow-expire-unpaid": {"task": "escrow.expire_unpaid_deals", "schedule": 60.0},
        # The one e-mail outbox (kernel.outbox): deal notifications and every
        # other e-mail (accounts.Email).
        "send-due-emails": {
            "task": "marketplace.send_due_emails",
            "schedule": email_outbox_seconds,
            "options": {"expires": email_outbox_seconds},
        },
        "escrow-refund-undelivered": {"task": "escrow.refund_undelivered_deals", "schedule": 300.0},
        "escrow-accept-after-inspection": {
            "task": "escrow.accept_after_inspection",
            "schedule": 300.0,
        },
        "escrow-release-after-protection": {
            "task": "escrow.release_after_protection",
            "schedule": 300.0,
        },
        "escrow-execute-payouts": {"task": "escrow.execute_due_payouts", "schedule": 120.0},
        "escrow-execute-refunds": {"task": "escrow.execute_due_refunds", "schedule": 120.0},
        "escrow-deadline-reminders": {"task": "escrow.send_deadline_reminders", "schedule": 300.0},
        "escrow-overdue-dispute-answers": {
            "task": "escrow.flag_overdue_dispute_answers",
            "schedule": 600.0,
        },
        "escrow-reconcile": {"task": "escrow.reconcile", "schedule": crontab(minute=37)},
        # provider events waiting for the provider's answer (escrow.webhooks)
        "escrow-retry-webhook-events": {"task": "escrow.retry_webhook_events", "schedule": 60.0},
        # listings: saved-search e-mails (new matches since each search's last check).
        "listings-saved-search-alerts": {
            "task": "listings.send_saved_search_alerts",
            "schedule": 300.0,
        },
        # listings: screenshot files follow their listing's visibility; a move whose
        # task was lost or failed is run here (a take-down stops being public media
        # within about a minute even then; docs/security.md).
        "listings-sweep-media-moves": {
            "task": "listings.sweep_media_moves",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        # retention (data protection): daily, idempotent batches.
        "accounts-delete-expired-identity-documents": {
            "task": "accounts.delete_expired_identity_documents",
            "schedule": crontab(minute=51, hour=2),
        },
        "escrow-erase-expired-credentials": {
            "task": "escrow.erase_expired_credentials",
            "schedule": crontab(minute=53, hour=2),
        },
        # governance: penalty jobs (each takes now, idempotent, SKIP LOCKED batches).
        "listings-refresh-search-tiers": {
            "task": "listings.refresh_search_tiers",
            "schedule": crontab(minute=29),  # hourly: the search tiers follow new listings
        },
        "governance-lift-expired-sanctions": {
            "task": "governance.lift_expired_sanctions",
            "schedule": crontab(minute="*/5"),
        },
        "governance-expire-points": {
            "task": "governance.expire_points",
            "schedule": crontab(minute=23),
        },
        "governance-rescan-content": {
            "task": "governance.rescan_content",
            "schedule": crontab(minute="*/10"),
        },
        "governance-transparency-snapshots": {
            "task": "governance.build_transparency_snapshots",
            "schedule": crontab(minute=41, hour=0),  # daily: last month final, this month so far
        },
    }
