"""Validation of uploaded images and documents.

Uploaded images are decoded with Pillow (not trusted by name or content type),
refused when they are not a real JPEG/PNG/WebP, too large in bytes or pixels
(decompression bombs), refused when something follows the image's own end
(polyglots: an image that is also HTML, a ZIP or a script), and re-encoded so that
metadata (EXIF, GPS) is dropped. SVG is never accepted. PDFs are parsed and refused
when they can act (``kernel.pdfs``).
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

from .pdfs import ActivePdf, UnreadablePdf, check_pdf

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


def _png_end(data: bytes) -> int:
    i = 8
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        i += 12 + length
        if kind == b"IEND":
            return i
    return -1


def _jpeg_end(data: bytes) -> int:
    i, n = 2, len(data)
    while i + 1 < n:
        if data[i] != 0xFF:
            return -1
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            return i + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            while i + 1 < n and not (
                data[i] == 0xFF and data[i + 1] != 0x00 and not 0xD0 <= data[i + 1] <= 0xD7
            ):
                i += 1
    return -1


def _trailing_data(data: bytes, fmt: str) -> bool:
    """True when bytes follow the end of a PNG (IEND chunk), JPEG (EOI marker) or WebP
    (RIFF length): the signature of a polyglot file (an image that is also HTML, a
    ZIP or a script)."""
    if fmt == "PNG":
        end = _png_end(data)
    elif fmt == "JPEG":
        end = _jpeg_end(data)
        data = data.rstrip(b"\x00")  # some encoders pad with zeros
    elif fmt == "WEBP":
        size = int.from_bytes(data[4:8], "little")
        end = size + 8 + (size & 1)
    else:
        return False
    return end < 0 or len(data) > end


#: Leading bytes of common files that are not images, and what to call them; so
#: an HTML page named ``.pdf`` is refused as an HTML page, not "not a valid image".
_KNOWN_KINDS = (
    ((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe"), _("an HTML page")),
    ((b"%pdf-",), _("a PDF document")),
    ((b"pk\x03\x04",), _("a ZIP archive (or an Office document)")),
    ((b"gif87a", b"gif89a"), _("a GIF image (not accepted)")),
    ((b"ii*\x00", b"mm\x00*"), _("a TIFF image (not accepted)")),
    ((b"bm",), _("a BMP image (not accepted)")),
    ((b"mz", b"\x7felf"), _("a program")),
    ((b"{\\rtf",), _("an RTF document")),
    ((b"\xd0\xcf\x11\xe0",), _("an old Office document")),
    ((b"rar!", b"7z\xbc\xaf"), _("a compressed archive")),
)


def describe_content(head: bytes) -> str | None:
    """What a file that is not a JPEG/PNG/WebP actually is, from its first bytes
    (``None`` when it looks like an accepted image or is unknown)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for prefixes, kind in _KNOWN_KINDS:
        if start.startswith(prefixes):
            return str(kind)
    if start.startswith((b"\xff\xd8", b"\x89png", b"riff", b"<svg", b"<?xml")):
        return None  # an image, or SVG (refused with its own message)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return str(_("a text file"))
    return None


def _refuse_other_kinds(upload, accepted) -> None:
    """Refuse, naming what it is, a file whose bytes say it is not an image (or
    not what ``accepted`` allows); ``accepted`` is the text of what is allowed."""
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    kind = describe_content(head)
    if kind is None:
        return
    name = str(getattr(upload, "name", "") or "")
    if "." in name:
        message = _(
            "This file is %(kind)s, although its name ends in “.%(ext)s”. Upload %(accepted)s."
        ) % {"kind": kind, "ext": name.rsplit(".", 1)[1][:10], "accepted": accepted}
    else:
        message = _("This file is %(kind)s. Upload %(accepted)s.") % {
            "kind": kind,
            "accepted": accepted,
        }
    raise ValidationError(message, code="wrong_kind")


def _too_large_message(width: int | None = None, height: int | None = None):
    limits = {
        "side": f"{MAX_IMAGE_SIDE:,}",
        "mp": MAX_IMAGE_PIXELS // 1_000_000,
    }
    if width and height:
        return _(
            "The image is too large (%(w)s × %(h)s pixels): at most %(side)s pixels on a side "
            "and %(mp)s million pixels in all. Scale it down and upload it again."
        ) % {"w": f"{width:,}", "h": f"{height:,}", **limits}
    return (
        _(
            "The image is too large: at most %(side)s pixels on a side and %(mp)s million "
            "pixels in all. Scale it down and upload it again."
        )
        % limits
    )


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
    _refuse_other_kinds(upload, _("a JPEG, PNG or WebP image"))
    try:
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_IMAGE_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG or WebP image."), code="format")
            if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
                raise ValidationError(_too_large_message(width, height), code="dimensions")
            upload.seek(0)
            if _trailing_data(upload.read(), fmt):
                raise ValidationError(
                    _("This file is not a plain image (something is appended to it)."),
                    code="polyglot",
                )
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
    except Image.DecompressionBombError:
        # Pillow refuses to even open an image far past the limit (e.g. 20000 × 20000).
        raise ValidationError(_too_large_message(), code="dimensions")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("This file is not a valid image."), code="invalid")
    name = f"{uuid.uuid4().hex}.{ALLOWED_IMAGE_FORMATS[fmt]}"
    return CleanImage(ContentFile(out.getvalue(), name=name), size[0], size[1], fmt)


def clean_document(upload) -> ContentFile:
    """An evidence/appeal attachment: a valid image (re-encoded) or a passive PDF
    (``kernel.pdfs.check_pdf``: no scripts, automatic actions or attached files;
    served only as a download)."""
    _check_size(upload)
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        data = upload.read()
        try:
            check_pdf(data)
        except ActivePdf:
            raise ValidationError(
                _(
                    "PDF files with scripts, automatic actions or attached files are not "
                    "accepted. Print it to a new PDF or upload an image."
                ),
                code="pdf_active",
            )
        except UnreadablePdf:
            raise ValidationError(
                _(
                    "This PDF could not be read (it may be damaged or password-protected). "
                    "Save it again without a password or upload an image."
                ),
                code="pdf_unreadable",
            )
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    _refuse_other_kinds(upload, _("a JPEG, PNG or WebP image or a PDF"))
    return clean_image(upload).content


Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
