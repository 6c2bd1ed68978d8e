"""Screenshot processing: validation and re-encoding by ``kernel.uploads``,
then a small thumbnail for cards and the moderators' queue."""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from PIL import Image

from kernel.uploads import CleanImage, clean_image

SCREENSHOT_MAX_SIDE = 1600
THUMBNAIL_SIZE = (480, 360)


def make_thumbnail(clean: CleanImage) -> ContentFile:
    """A JPEG (or PNG for transparent images) fitting ``THUMBNAIL_SIZE``; random name."""
    with Image.open(io.BytesIO(clean.content.read())) as image:
        clean.content.seek(0)
        image.load()
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        if image.mode == "RGBA":
            image.save(out, "PNG", optimize=True)
            ext = "png"
        else:
            image.convert("RGB").save(out, "JPEG", quality=80)
            ext = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")


def process_screenshot(upload) -> tuple[CleanImage, ContentFile]:
    """Validate and re-encode an upload; raises ``ValidationError`` with a user message."""
    clean = clean_image(upload, max_side=SCREENSHOT_MAX_SIDE)
    return clean, make_thumbnail(clean)
