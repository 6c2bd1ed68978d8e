"""Serving private files (identity documents, evidence) through permission-checked views.

Private files live in ``storages["private"]``, outside any public URL (a local
folder, or a private S3 prefix/bucket). A view decides who may see a file, then
returns ``private_file_response(...)``, which streams it through the site; names are
random (uuid), so nothing is guessable even where paths leak.

Only the image types we re-encode ourselves are shown inline. Everything else — PDFs
included — is a download (``Content-Disposition: attachment``), so a browser's PDF
viewer never runs it in our origin; and every response carries ``nosniff`` and a
sandboxing Content-Security-Policy in case a browser renders it anyway.
"""

from __future__ import annotations

import mimetypes

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.functional import LazyObject, empty


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up when first used (as Django's
    ``default_storage``): a FileField keeps the storage its callable returned at
    import, and this keeps it following STORAGES (local folders or S3)."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SERVED_TYPES = INLINE_TYPES | {"application/pdf"}
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"


def private_storage():
    return _private


def private_file_response(
    name: str, *, download_name: str | None = None, storage=None, cache_control: str = ""
) -> FileResponse:
    """Stream ``name`` from ``storage`` (default: private storage); 404 when it is
    not there. ``cache_control``: for a file the caller found public (a listing's
    screenshot while the listing is), instead of ``private, no-store``."""
    storage = storage if storage is not None else private_storage()
    if not name or not storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type not in SERVED_TYPES:
        content_type = "application/octet-stream"
    filename = download_name or name.rsplit("/", 1)[-1]
    if content_type in SERVED_TYPES and mimetypes.guess_type(filename)[0] != content_type:
        filename += mimetypes.guess_extension(content_type)  # opens with the right program
    response = FileResponse(
        storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=content_type not in INLINE_TYPES,
        filename=filename,
    )
    response["Cache-Control"] = cache_control or "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
