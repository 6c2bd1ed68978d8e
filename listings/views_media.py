"""``/listings/<id>/screenshots/<shot>/<image|thumb>``: a listing's screenshot
files through a permission check, from whichever storage holds them
(``listings.media``). Anyone while the listing is publicly visible; otherwise its
seller and moderators only, 404 for everyone else (existence never leaks)."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.http import require_safe

from kernel.private_files import private_file_response

from . import selectors
from .media import KINDS, ScreenshotStorage

#: A publicly visible listing's file may be kept by browsers and shared caches,
#: briefly: a take-down answers 404 here at once, and cached copies age out.
PUBLIC_CACHE = "public, max-age=60"


@require_safe
def screenshot_file(request, pk: int, shot_pk: int, kind: str):
    field = KINDS.get(kind)
    if field is None:
        raise Http404
    shot = selectors.get_screenshot_for_user(request.user, pk, shot_pk)
    name = getattr(shot, field).name or shot.image.name
    try:
        return private_file_response(
            name,
            storage=ScreenshotStorage.storage_for(name),
            # Public only for anonymous visitors: a signed-in response is never
            # cached (tests/security/test_private_caching.py).
            cache_control=(
                PUBLIC_CACHE if shot.listing.is_public and not request.user.is_authenticated else ""
            ),
        )
    except (OSError, ValueError):  # a storage that refuses the name: not there
        raise Http404 from None
