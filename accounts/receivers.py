"""Receivers of accounts: a standing for every new user, the sign-in language."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Standing, User
from .services import remember_language


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
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen:
        remember_language(user=user, language=chosen)
    elif not user.language and getattr(request, "LANGUAGE_CODE", ""):
        remember_language(user=user, language=request.LANGUAGE_CODE)
