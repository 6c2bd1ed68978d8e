"""Serving private files (identity documents, evidence) through permission-checked views.

Private files live in ``storages["private"]``, outside any public URL. A view decides
who may see a file, then returns ``private_file_response(...)``; names are random
(uuid), so nothing is guessable even where paths leak.
"""

from __future__ import annotations

import mimetypes

from django.core.files.storage import storages
from django.http import FileResponse, Http404


def private_storage():
    return storages["private"]


def private_file_response(name: str, *, download_name: str | None = None) -> FileResponse:
    storage = private_storage()
    if not name or not storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type not in {"image/jpeg", "image/png", "image/webp", "application/pdf"}:
        content_type = "application/octet-stream"
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    disposition = "inline" if content_type != "application/octet-stream" else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{download_name or name.rsplit("/", 1)[-1]}"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
