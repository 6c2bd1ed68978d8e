"""Where a listing's screenshots live, and the one rule for their URLs.

A screenshot's files (image and thumbnail) are in PUBLIC storage (``default``,
served under ``MEDIA_URL`` by the proxy or object storage) only while its listing
is publicly visible (``Listing.is_public``); otherwise they are in PRIVATE storage
(``storages["private"]``), reachable only through the permission-checked view
(``listings.views_media``). The stored name says which: public names start with
``PUBLIC_PREFIX``, private ones with ``PRIVATE_PREFIX``. So the row is the whole
truth (a move rewrites the name), no column or query is needed to know where a
file is, and ``ScreenshotStorage`` routes every file operation (open, delete,
size …) to the storage that holds the name — deleting a screenshot, a listing or
an account removes the files wherever they are.

Moves happen in ``listings.services.media`` (a task after each change of
visibility, and a sweeper), always to NEW random names: a URL that was public
once never serves again after the listing is taken down.
"""

from __future__ import annotations

import functools
import uuid

from django.core.files.storage import Storage, default_storage
from django.utils.deconstruct import deconstructible

from kernel.private_files import private_storage

PUBLIC_PREFIX = "listings/"
PRIVATE_PREFIX = "listings-private/"
#: The kinds of file a screenshot has, as the view's URL names them.
KINDS = {"image": "image", "thumb": "thumbnail"}


def is_public_name(name: str) -> bool:
    """Whether the stored name is in public storage (names of either kind only)."""
    return bool(name) and name.startswith(PUBLIC_PREFIX)


def new_name(*, public: bool, thumbnail: bool, ext: str) -> str:
    """A fresh random name (128 bits) in the public or private namespace."""
    ext = (ext or "jpg").lower().lstrip(".")[:5] or "jpg"
    folder = (PUBLIC_PREFIX if public else PRIVATE_PREFIX) + ("thumbs/" if thumbnail else "")
    return f"{folder}{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


def extension(name: str) -> str:
    tail = name.rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[-1] if "." in tail else "jpg"


@deconstructible(path="listings.media.ScreenshotStorage")
class ScreenshotStorage(Storage):
    """Routes each name to the storage that holds it (see the module's docstring).
    ``url()`` exists for public names only: templates use ``screenshot_src``."""

    @staticmethod
    def storage_for(name: str):
        return default_storage if is_public_name(name) else private_storage()

    def save(self, name, content, max_length=None):
        return self.storage_for(name).save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return self.storage_for(filename).generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return self.storage_for(name).get_available_name(name, max_length=max_length)

    def _open(self, name, mode="rb"):
        return self.storage_for(name).open(name, mode)

    def delete(self, name):
        if name:
            self.storage_for(name).delete(name)

    def exists(self, name):
        return self.storage_for(name).exists(name)

    def size(self, name):
        return self.storage_for(name).size(name)

    def path(self, name):
        return self.storage_for(name).path(name)

    def url(self, name):
        if not is_public_name(name):
            raise ValueError("A private screenshot has no public URL: use screenshot_src().")
        return default_storage.url(name)


_storage = ScreenshotStorage()


def screenshot_storage() -> ScreenshotStorage:
    """The screenshot fields' storage (a callable, so migrations do not freeze it)."""
    return _storage


def screenshot_view_url(listing_id: int, shot_id: int, kind: str) -> str:
    """The permission-checked view's URL (``kind``: "image" or "thumb")."""
    from django.urls import get_script_prefix

    # ``reverse`` once per process and script prefix: a card page asks for fifty.
    return _view_url_format(get_script_prefix()) % (int(listing_id), int(shot_id), kind)


@functools.cache
def _view_url_format(script_prefix: str) -> str:
    from django.urls import reverse

    url = reverse("listings:screenshot_file", args=[987654321, 123456789, "kind0marker"])
    url = url.replace("%", "%%")
    return url.replace("987654321", "%d").replace("123456789", "%d").replace("kind0marker", "%s")


def screenshot_src(
    listing_public: bool, listing_id: int, shot_id, name: str, kind: str, media_url: str
) -> str:
    """THE rule for a screenshot file's URL in any page: the public media URL when
    the file is in public storage and the listing is publicly visible, else the
    permission-checked view (which serves from wherever the file is, so a page
    rendered while a move is pending never shows a broken image). ``media_url``:
    ``MEDIA_URL`` (cards and pages read it once)."""
    if listing_public and name.startswith(PUBLIC_PREFIX):  # is_public_name, inlined: per card
        return media_url + name
    return screenshot_view_url(listing_id, shot_id, kind)


def copy_to(name: str, *, public: bool, thumbnail: bool) -> str:
    """Copy the file ``name`` (wherever it is) to public or private storage under a
    new random name; returns the new name. The original is left in place."""
    source = ScreenshotStorage.storage_for(name)
    target = default_storage if public else private_storage()
    with source.open(name, "rb") as content:
        return target.save(
            new_name(public=public, thumbnail=thumbnail, ext=extension(name)), content
        )
