from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import Standing, User

#: Sent (after commit) when a document number already verified for one account is
#: submitted by another. Receivers get ``flag`` (an ``accounts.ImpersonationFlag``,
#: carrying only the number's hash and last 4 characters) and ``user`` (who submitted
#: it). Governance subscribes to open a report; accounts itself only queues the flag
#: for moderators.
possible_impersonation = Signal()


@receiver(post_save, sender=User, dispatch_uid="accounts-create-standing")
def create_standing(sender, instance: User, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        Standing.objects.get_or_create(user=instance)


@receiver(user_logged_in, dispatch_uid="accounts-remember-sign-in-language")
def remember_sign_in_language(sender, request, user, **kwargs):
    """Signing in with a language stores it on the user: the one chosen on this
    browser (the language cookie), else, for a user who never chose, the one the
    browser asks for (``LocaleMiddleware``'s pick)."""
    if request is None:
        return
    from .services import remember_language

    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen:
        remember_language(user=user, language=chosen)
    elif not user.language and getattr(request, "LANGUAGE_CODE", ""):
        remember_language(user=user, language=request.LANGUAGE_CODE)
