"""Validation of uploaded images and documents.

Uploaded images are decoded with Pillow (not trusted by name or content type),
refused when they are not a real JPEG/PNG/WebP, too large in bytes or pixels
(decompression bombs), and re-encoded so that metadata (EXIF, GPS) and anything
appended to the image (polyglots) is dropped. SVG is never accepted.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_IMAGE_PIXELS = 40_000_000  # e.g. 8000 × 5000
MAX_IMAGE_SIDE = 12_000


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int
    format: str


def _check_size(upload) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("The file is too large (maximum %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")


def clean_image(upload, *, max_side: int = 2000, quality: int = 85) -> CleanImage:
    """Validate an uploaded image and return it re-encoded (metadata stripped).

    ``max_side``: the re-encoded image is scaled down to fit this many pixels.
    Raises ``ValidationError`` with a user-facing message for anything else.
    """
    _check_size(upload)
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if b"<svg" in head.lower() or b"<?xml" in head.lower():
        raise ValidationError(
            _("SVG files are not accepted; upload a JPEG, PNG or WebP image."), code="svg"
        )
    try:
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_IMAGE_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG or WebP image."), code="format")
            if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
                raise ValidationError(_("The image's dimensions are too large."), code="dimensions")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if fmt == "PNG":
                image.save(out, "PNG", optimize=True)
            else:
                if image.mode == "RGBA":
                    image = image.convert("RGB")
                fmt = "JPEG" if fmt == "JPEG" else "WEBP"
                image.save(out, fmt, quality=quality)
            size = image.size
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a valid image."), code="invalid")
    name = f"{uuid.uuid4().hex}.{ALLOWED_IMAGE_FORMATS[fmt]}"
    return CleanImage(ContentFile(out.getvalue(), name=name), size[0], size[1], fmt)


def clean_document(upload) -> ContentFile:
    """An evidence/appeal attachment: a valid image (re-encoded) or a PDF."""
    _check_size(upload)
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        data = upload.read()
        if b"/JavaScript" in data or b"/JS" in data or b"/Launch" in data:
            raise ValidationError(_("PDF files with scripts are not accepted."), code="pdf_script")
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    return clean_image(upload).content


Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
