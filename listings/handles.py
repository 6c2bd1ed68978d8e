"""The account handle rule: a handle (``@name``) no longer than its platform
allows, or a profile URL; never markup. Shared by the listing form and the
services, so no caller can store a 10,000-character ``<script>`` handle."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from .models import Platform

#: The longest handle each platform allows (its own sign-up rules, rounded up
#: where a platform counts differently); a profile URL may be longer.
HANDLE_MAX_LENGTH = {
    Platform.DOUYIN: 20,
    Platform.TIKTOK: 24,
    Platform.INSTAGRAM: 30,
    Platform.YOUTUBE: 30,
    Platform.BILIBILI: 16,
    Platform.XIAOHONGSHU: 24,
    Platform.KUAISHOU: 20,
    Platform.WEIBO: 30,
    Platform.X: 15,
    Platform.TWITCH: 25,
    Platform.OTHER: 50,
}
PROFILE_URL_MAX_LENGTH = 200


def clean_handle_for(platform: str, value: str) -> str:
    """``value`` as a handle (``@name``) or a profile URL for ``platform``; raises
    ``ValidationError`` with a message that says the rule broken."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter the account's handle or profile URL."))
    if any(ch in value for ch in "<>\"'`") or any(not ch.isprintable() for ch in value):
        raise ValidationError(
            _("A handle cannot contain <, >, quotes or control characters."), code="markup"
        )
    if value.lower().startswith(("http://", "https://")):
        if len(value) > PROFILE_URL_MAX_LENGTH:
            raise ValidationError(
                _("A profile URL has at most %(n)s characters (this one has %(len)s).")
                % {"n": PROFILE_URL_MAX_LENGTH, "len": len(value)},
                code="too_long",
            )
        URLValidator(message=_("Enter a complete profile URL, e.g. https://…"))(value)
        return value
    name = value.removeprefix("@")
    limit = HANDLE_MAX_LENGTH.get(platform, HANDLE_MAX_LENGTH[Platform.OTHER])
    if len(name) > limit:
        label = dict(Platform.choices).get(platform, platform)
        raise ValidationError(
            _("A %(platform)s handle has at most %(n)s characters (this one has %(len)s).")
            % {"platform": label, "n": limit, "len": len(name)},
            code="too_long",
        )
    if any(ch.isspace() for ch in name):
        raise ValidationError(
            _("A handle has no spaces: enter it as it appears after the @."), code="spaces"
        )
    return value
