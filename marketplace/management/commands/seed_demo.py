"""``manage.py seed_demo [--listings N]``: idempotent demo data, then the logins.

Each app contributes a ``seed`` module (accounts → governance → listings → escrow,
the dependency order); they share a ``context`` dict of the objects made so far.
"""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

SEEDERS = ["accounts.seed", "governance.seed", "listings.seed", "escrow.seed"]
# More than one catalogue page (listings.selectors.PAGE_SIZE is 50), so the demo
# shows what a real catalogue does past its first page: the "Next" cursor.
DEFAULT_LISTINGS = 120


def production_reason() -> str | None:
    """Why these settings look like production, or None. The demo data includes a
    superuser whose password and TOTP secret are published in the README, so a
    live site must never get it."""
    if getattr(settings, "HANDOFF_ENV", "development") == "production" or getattr(
        settings, "PRODUCTION", False
    ):
        return "HANDOFF_ENV is production"
    if not settings.DEBUG and (
        settings.SESSION_COOKIE_SECURE
        or settings.SECURE_SSL_REDIRECT
        or not settings.PAYMENT_GATEWAY.endswith(".SimulatedGateway")
    ):
        # Production-like settings under another name (secure cookies, HTTPS
        # redirect or a real payment gateway) with DEBUG off.
        return "DEBUG is off with production settings"
    return None


class Command(BaseCommand):
    help = "Create demo users and data (safe to run again) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listings",
            type=int,
            default=DEFAULT_LISTINGS,
            help=f"How many demo listings to have (default {DEFAULT_LISTINGS}).",
        )
        parser.add_argument(
            "--allow-production-settings",
            action="store_true",
            help="Seed even under production settings: only for a throwaway database "
            "(the benchmark's). Never on a live site.",
        )

    def handle(self, *args, **options):
        reason = production_reason()
        if reason and not options["allow_production_settings"]:
            raise CommandError(
                f"seed_demo refuses to run in production ({reason}): it creates demo users, "
                "including a superuser, whose password and TOTP secret are published. "
                "Nothing was written."
            )
        from accounts.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, recovery_codes

        context: dict = {}
        # Demo data is made through the real services, which notify people; the
        # demo users are not real, so their notifications are not e-mailed (nor
        # handed to the worker, which would print them when `make run` starts it).
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            NOTIFICATION_EMAILS=False,
        ):
            for path in SEEDERS:
                if find_spec(path) is None:
                    continue
                import_module(path).seed(context=context, options=options, out=self.stdout)

        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/accounts/login/"))
        w(f"  password for every demo login: {DEMO_PASSWORD}")
        for role, email in context.get("logins", []):
            w(f"  {role:<26} {email}")
        w("  Staff logins ask for a second factor. Both moderators and the operator share")
        w(f"  this TOTP secret (add it to an authenticator app): {DEMO_TOTP_SECRET}")
        w("  — or use one of these one-time recovery codes:")
        w(f"  moderator:        {', '.join(recovery_codes(context['moderator'])[:3])}")
        w(f"  second moderator: {', '.join(recovery_codes(context['moderator2'])[:3])}")
        w(f"  operator:         {', '.join(recovery_codes(context['admin'])[:3])}")
        w("  Signing up a new account? The confirmation e-mail, with its link, is printed")
        w("  in this terminal (the development e-mail backend writes e-mails here).")
        w("  Moderators work at http://127.0.0.1:8000/admin/")
