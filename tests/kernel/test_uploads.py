import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kernel.uploads import clean_document, clean_image


def _png(size=(40, 30), **save_kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG", **save_kwargs)
    return out.getvalue()


def _jpeg_with_exif() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    Image.new("RGB", (50, 50), (0, 0, 255)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="x.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_valid_png_is_reencoded():
    result = clean_image(upload(_png()))
    assert result.format == "PNG"
    assert (result.width, result.height) == (40, 30)
    assert result.content.name.endswith(".png")


def test_metadata_is_stripped():
    result = clean_image(upload(_jpeg_with_exif(), "a.jpg", "image/jpeg"))
    assert b"SecretCam" not in result.content.read()


def test_polyglot_tail_is_refused():
    data = _png() + b"<?php system($_GET['c']); ?>"
    with pytest.raises(ValidationError) as exc:
        clean_image(upload(data))
    assert exc.value.code == "polyglot"


@pytest.mark.parametrize(
    "data,name",
    [
        (b"MZ\x90\x00 not an image at all", "evil.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png"),
        (b"", "empty.png"),
    ],
)
def test_non_images_are_refused(data, name):
    with pytest.raises(ValidationError):
        clean_image(upload(data, name))


def test_huge_dimensions_are_refused_without_decoding():
    # A tiny file that declares 20000 × 20000 pixels (decompression bomb).
    data = _png(size=(20000, 20000), optimize=True)
    assert len(data) < 2_000_000
    with pytest.raises(ValidationError) as exc:
        clean_image(upload(data))
    assert exc.value.code in {"dimensions", "invalid"}


def test_oversized_file_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        clean_image(upload(_png()))
    assert exc.value.code == "too_large"


def test_pdf_with_javascript_is_refused_and_plain_pdf_accepted():
    from tests.security import pdf_samples

    with pytest.raises(ValidationError):
        clean_document(upload(b"%PDF-1.4\n/JavaScript (app.alert(1))", "a.pdf", "application/pdf"))
    assert clean_document(upload(pdf_samples.passive(), "a.pdf", "application/pdf")).name.endswith(
        ".pdf"
    )


def test_a_pdf_that_cannot_be_parsed_is_refused():
    """Nothing can be checked in it, so it is not stored (tests/security/test_uploads.py
    has the obfuscated active PDFs)."""
    with pytest.raises(ValidationError) as refused:
        clean_document(upload(b"%PDF-1.4\n1 0 obj\n", "a.pdf", "application/pdf"))
    assert refused.value.code == "pdf_unreadable"
