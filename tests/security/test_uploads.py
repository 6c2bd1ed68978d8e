"""Upload attacks at every upload endpoint, through the web: non-images with image
names, polyglots, decompression bombs, huge dimensions, SVG with script, scripted
PDFs, empty and oversized files. Each is refused with a form error (never a 500)
and leaves no row and no file behind. Accepted files are stored re-encoded, under
random names, never executable, and private ones have no public URL."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from accounts.models import IdentityVerification
from escrow.models import DealMessage, Dispute, DisputeEvidence
from governance.models import Appeal, AppealFile
from listings.models import ListingScreenshot
from tests.factories import UserFactory, VerifiedUserFactory

from . import figures, pdf_samples
from .world import _listing, build_world, make_staff, png_bytes

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` with a tiny compressed body:
    the shape of a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _image(fmt: str, size=(48, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(out, fmt)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
    return out.getvalue()


SVG = (
    b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
)

#: name → (file name, bytes, declared content type)
ATTACKS = {
    "exe_named_png": ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "image/png"),
    "html_named_jpg": ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    "svg_with_script_named_png": ("photo.png", SVG, "image/png"),
    "svg_with_script": ("photo.svg", SVG, "image/svg+xml"),
    "svg_without_xml_prolog": ("p.png", SVG.split(b"?>", 1)[1], "image/png"),
    "png_html_polyglot": ("p.png", _image("PNG") + b"<script>alert(1)</script>", "image/png"),
    "png_zip_polyglot": ("p.png", _image("PNG") + _zip(), "image/png"),
    "jpeg_php_polyglot": ("p.jpg", _image("JPEG") + b"<?php system($_GET['c']); ?>", "image/jpeg"),
    "webp_html_polyglot": ("p.webp", _image("WEBP") + b"<html>x</html>", "image/webp"),
    "decompression_bomb": ("bomb.png", png_claiming(50_000, 50_000), "image/png"),
    "huge_side": ("wide.png", png_claiming(20_000, 10), "image/png"),
    "gif_not_allowed": ("anim.png", _image("GIF"), "image/png"),
    "truncated_png": ("cut.png", _image("PNG")[:60], "image/png"),
    "pdf_with_javascript": (
        "doc.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n%%EOF",
        "application/pdf",
    ),
    # Active PDFs in the disguises a byte scan misses (built in pdf_samples.py).
    **{
        f"pdf_{name}": ("doc.pdf", data, "application/pdf")
        for name, data in pdf_samples.ACTIVE.items()
    },
    "pdf_unreadable": ("doc.pdf", pdf_samples.unreadable(), "application/pdf"),
    "pdf_encrypted": ("doc.pdf", pdf_samples.encrypted(), "application/pdf"),
    "empty": ("empty.png", b"", "image/png"),
    "oversized": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024 + 10), "image/png"),
}


def _files_on_disk() -> set[str]:
    found = set()
    for root in (Path(settings.MEDIA_ROOT), Path(storages["private"].location)):
        if root.exists():
            found |= {str(p) for p in root.rglob("*") if p.is_file()}
    return found


@pytest.fixture
def endpoints(settings, tmp_path):
    """(name, client, url, build_post, count_rows) for every upload endpoint."""
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    from django.test import Client

    from governance import services as governance
    from governance.models import Rule

    mod = make_staff(display_name="Mod")
    newcomer = UserFactory()
    seller = VerifiedUserFactory()
    draft = _listing(seller, mod, title="Upload target", state="DRAFT")
    sanctioned = VerifiedUserFactory()
    rule = Rule.objects.filter(category="behaviour", is_active=True).order_by("code").first()
    from django.utils import timezone

    now = timezone.now()
    case = governance.open_moderator_case(
        moderator=mod, subject=sanctioned, rule=rule, details="seen", now=now
    )
    violation = governance.confirm_report(
        report_id=case.pk, moderator=mod, facts="The facts of the case.", now=now
    )

    def client_for(user):
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    def verify_post(upload, field="document_image"):
        data = {
            "legal_name": "Upload Tester",
            "document_type": "passport",
            "document_number": "X12345678",
            "date_of_birth": "1990-01-01",
            "country": "GB",
            "document_image": SimpleUploadedFile("ok.png", png_bytes(), "image/png"),
        }
        data[field] = upload
        return data

    world = build_world()
    bob = world.users["buyer"]
    return [
        (
            "dispute:evidence",
            client_for(bob),
            reverse("escrow:open_dispute", args=[world["deal_delivered"].pk]),
            lambda up: {"statement": "Not as described.", "evidence": [up]},
            lambda: (Dispute.objects.count(), DisputeEvidence.objects.count()),
        ),
        (
            "chat:attachment",
            client_for(bob),
            reverse("escrow:chat", args=[world["deal_funded"].pk]),
            lambda up: {"body": "see file", "attachment": up},
            lambda: DealMessage.objects.count(),
        ),
        (
            "verify:document_image",
            client_for(newcomer),
            reverse("accounts:verify"),
            lambda up: verify_post(up),
            lambda: IdentityVerification.objects.count(),
        ),
        (
            "verify:selfie_image",
            client_for(newcomer),
            reverse("accounts:verify"),
            lambda up: verify_post(up, "selfie_image"),
            lambda: IdentityVerification.objects.count(),
        ),
        (
            "listing:screenshot",
            client_for(seller),
            reverse("listings:edit_screenshots", args=[draft.pk]),
            lambda up: {"image": up, "caption": "stats"},
            lambda: ListingScreenshot.objects.count(),
        ),
        (
            "appeal:files",
            client_for(sanctioned),
            reverse("governance:appeal", args=[violation.pk]),
            lambda up: {"text": "This decision is wrong for these reasons.", "files": [up]},
            lambda: (Appeal.objects.count(), AppealFile.objects.count()),
        ),
    ]


def test_every_upload_attack_is_refused_at_every_endpoint(endpoints):
    failures, attempts = [], 0
    for endpoint, client, url, build, rows in endpoints:
        for attack, (name, data, content_type) in ATTACKS.items():
            if attack == "pdf_with_javascript" and not endpoint.startswith("appeal"):
                pass  # images only there: refused as "not an image" — still an attack
            before_rows, before_files = rows(), _files_on_disk()
            upload = SimpleUploadedFile(name, data, content_type=content_type)
            response = client.post(url, build(upload))
            attempts += 1
            problems = []
            if response.status_code != 200:
                problems.append(f"status {response.status_code} (expected the form again)")
            elif not response.context or not any(
                set(form.errors) - {"__all__"}  # beside the upload field, not a later refusal
                for key in ("form", "message_form")
                if (form := response.context.get(key))
            ):
                problems.append("no error beside the upload field")
            if rows() != before_rows:
                problems.append("a row was written")
            if _files_on_disk() != before_files:
                problems.append(f"files left behind: {_files_on_disk() - before_files}")
            if problems:
                failures.append(f"{endpoint} × {attack}: {', '.join(problems)}")
    figures.record("uploads", checked=attempts, failed=len(failures))
    assert not failures, "\n".join(failures)


def test_accepted_uploads_are_reencoded_private_and_never_executable(endpoints, client):
    stored = []
    for endpoint, user_client, url, build, _rows in endpoints:
        if endpoint == "verify:selfie_image":
            continue
        original = _image("PNG", (64, 48))
        response = user_client.post(
            url, build(SimpleUploadedFile("mine.png", original, "image/png"))
        )
        assert response.status_code == 302, f"{endpoint}: a clean image is accepted"
    for verification in IdentityVerification.objects.all():
        stored.append(("private", verification.document_image))
    for shot in ListingScreenshot.objects.all():
        stored += [("public", shot.image), ("public", shot.thumbnail)]
    for item in AppealFile.objects.all():
        stored.append(("private", item.file))
    assert {kind for kind, _ in stored} == {"private", "public"}
    private_root = Path(storages["private"].location).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    for kind, field in stored:
        path = Path(field.path).resolve()
        mode = os.stat(path).st_mode
        assert not mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH), f"{path} is executable"
        assert not mode & stat.S_IWOTH and not mode & stat.S_IROTH, f"{path} is world-readable"
        stem = path.stem.split("_")[0]
        assert len(stem) >= 32 and all(c in "0123456789abcdef" for c in stem[:32]), path.name
        if kind == "private":
            assert private_root in path.parents and media_root not in path.parents
            # No public URL reaches it, not even by guessing the path under /media/.
            relative = path.relative_to(private_root).as_posix()
            assert client.get(f"/media/{relative}").status_code == 404
            assert client.get(f"/media/../private/{relative}").status_code in (400, 404)
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _pypdf_written() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(300, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PASSIVE_PDFS = {
    "classic": pdf_samples.passive(),
    "object_stream": pdf_samples.passive_with_object_stream(),
    "written_by_pypdf": _pypdf_written(),
}


@pytest.mark.parametrize("name", PASSIVE_PDFS)
def test_a_passive_pdf_is_accepted(name):
    from kernel.uploads import clean_document

    stored = clean_document(SimpleUploadedFile("doc.pdf", PASSIVE_PDFS[name], "application/pdf"))
    assert stored.name.endswith(".pdf")
    assert stored.read() == PASSIVE_PDFS[name]


@pytest.mark.parametrize("name", sorted(pdf_samples.ACTIVE))
def test_an_active_pdf_is_refused_with_its_reason(name):
    from django.core.exceptions import ValidationError

    from kernel.uploads import clean_document

    upload = SimpleUploadedFile("doc.pdf", pdf_samples.ACTIVE[name], "application/pdf")
    with pytest.raises(ValidationError) as refused:
        clean_document(upload)
    assert refused.value.code == "pdf_active"


def _assert_download(response, *, pdf: bool):
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    if pdf:
        assert response["Content-Type"] == "application/pdf"
        assert disposition.startswith("attachment;") and ".pdf" in disposition
    else:
        assert disposition.startswith("inline;")


def test_pdfs_are_served_only_as_sandboxed_downloads(settings):
    """Dispute evidence, chat attachments and appeal files: a PDF is a download
    (attachment, nosniff, sandbox CSP); a re-encoded image may show inline."""
    from django.test import Client

    from escrow.models import DealMessage, DisputeEvidence

    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    world = build_world()
    bob = world.users["buyer"]
    client = Client()
    client.force_login(bob)
    pdf = pdf_samples.passive_with_object_stream()
    funded, delivered = world["deal_funded"], world["deal_delivered"]

    response = client.post(
        reverse("escrow:chat", args=[funded.pk]),
        {"body": "the contract", "attachment": SimpleUploadedFile("c.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 302
    message = DealMessage.objects.filter(deal=funded).latest("id")
    response = client.post(
        reverse("escrow:open_dispute", args=[delivered.pk]),
        {
            "statement": "Not as described.",
            "evidence": [SimpleUploadedFile("e.pdf", pdf, "application/pdf")],
        },
    )
    assert response.status_code == 302
    evidence = DisputeEvidence.objects.filter(dispute__deal=delivered).latest("id")

    for url in (
        reverse("escrow:message_attachment", args=[funded.pk, message.pk]),
        reverse("escrow:evidence_file", args=[delivered.pk, evidence.pk]),
    ):
        response = client.get(url)
        _assert_download(response, pdf=True)
        assert b"".join(response.streaming_content) == pdf
    # The image evidence of the world shows inline, still sandboxed.
    image = world["evidence"]
    response = client.get(reverse("escrow:evidence_file", args=[image.dispute.deal_id, image.pk]))
    _assert_download(response, pdf=False)


_PDF_SEEDS = [
    pdf_samples.passive(),
    pdf_samples.passive_with_object_stream(),
    *pdf_samples.ACTIVE.values(),
]


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_PDF_SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.binary(max_size=12)),
        max_size=4,
    ),
)
def test_a_mangled_pdf_is_accepted_or_refused_never_an_error(seed, cuts):
    """Damaged PDFs (bytes replaced at random places) either pass the check or are
    refused with a message: pypdf's own errors never escape as a 500."""
    from django.core.exceptions import ValidationError

    from kernel.uploads import clean_document

    data = bytearray(seed)
    for at, junk in cuts:
        at = 5 + at % max(1, len(data) - 5)  # the %PDF- header stays
        data[at : at + len(junk)] = junk
    try:
        clean_document(SimpleUploadedFile("m.pdf", bytes(data), "application/pdf"))
    except ValidationError as refused:
        assert refused.code in {"pdf_active", "pdf_unreadable", "invalid"}
