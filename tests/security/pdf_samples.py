"""PDFs built byte by byte for the upload tests: passive ones, and active ones in
the disguises a byte scan misses (names with ``#xx`` escapes, objects inside a
compressed object stream, objects the cross-reference does not list)."""

from __future__ import annotations

import zlib

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def classic(objects: dict[int, bytes], *, root: int = 1, listed: set[int] | None = None) -> bytes:
    """A PDF 1.4 file with a classic cross-reference table. ``listed``: the object
    numbers the table lists (all by default); the others are in the file, unlisted."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in offsets and (listed is None or num in listed):
            out += b"%010d 00000 n \n" % offsets[num]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref_at)
    return bytes(out)


def with_object_stream(
    plain: dict[int, bytes], packed: dict[int, bytes], *, root: int = 1
) -> bytes:
    """A PDF 1.5 file: ``packed`` objects inside one Flate-compressed object stream,
    ``plain`` ones outside, and a cross-reference stream listing both."""
    stream_num = max([*plain, *packed]) + 1
    xref_num = stream_num + 1
    header, body = bytearray(), bytearray()
    for num in sorted(packed):
        header += b"%d %d " % (num, len(body))
        body += packed[num] + b"\n"
    raw = bytes(header) + bytes(body)
    compressed = zlib.compress(raw)
    objects = dict(plain)
    objects[stream_num] = (
        b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(packed), len(header), len(compressed))
        + compressed
        + b"\nendstream"
    )
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    offsets[xref_num] = len(out)
    size = xref_num + 1
    index_in_stream = {num: i for i, num in enumerate(sorted(packed))}
    rows = bytearray()
    for num in range(size):
        if num in offsets:
            rows += bytes([1]) + offsets[num].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif num in packed:
            rows += (
                bytes([2]) + stream_num.to_bytes(4, "big") + index_in_stream[num].to_bytes(2, "big")
            )
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    data = zlib.compress(bytes(rows))
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n"
        % (xref_num, size, root, len(data))
        + data
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_num]
    )
    return bytes(out)


def catalog(extra: bytes = b"") -> bytes:
    return b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>"


def passive() -> bytes:
    return classic({1: catalog(), 2: PAGES, 3: PAGE})


def passive_with_object_stream() -> bytes:
    return with_object_stream({3: PAGE}, {1: catalog(), 2: PAGES})


JS_ACTION = b"<< /S /JavaScript /JS (app.alert(1)) >>"

#: name → PDF bytes; each must be refused.
ACTIVE = {
    "open_action_javascript": classic(
        {1: catalog(b"/OpenAction 4 0 R"), 2: PAGES, 3: PAGE, 4: JS_ACTION}
    ),
    "js_name_hex_escaped": classic(
        {
            1: catalog(b"/Open#41ction 4 0 R"),
            2: PAGES,
            3: PAGE,
            4: b"<< /S /Java#53cript /J#53 (app.alert(1)) >>",
        }
    ),
    "every_character_escaped": classic(
        {
            1: catalog(b"/#4F#70#65#6E#41#63#74#69#6F#6E 4 0 R"),
            2: PAGES,
            3: PAGE,
            4: b"<< /#53 /#4A#61#76#61#53#63#72#69#70#74 /#4A#53 (x) >>",
        }
    ),
    "page_additional_action_aa": classic(
        {
            1: catalog(),
            2: PAGES,
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /#41A << /O 4 0 R >> >>",
            4: b"<< /S /URI /URI (https://example.com) >>",
        }
    ),
    "launch_action": classic(
        {1: catalog(b"/Open#41ction << /S /#4Caunch /F (cmd.exe) >>"), 2: PAGES, 3: PAGE}
    ),
    "embedded_file": classic(
        {
            1: catalog(b"/Names << /Embedded#46iles << /Names [(a.exe) 4 0 R] >> >>"),
            2: PAGES,
            3: PAGE,
            4: b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
            5: b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
        }
    ),
    "javascript_in_object_stream": with_object_stream(
        {3: PAGE}, {1: catalog(b"/OpenAction 4 0 R"), 2: PAGES, 4: JS_ACTION}
    ),
    "escaped_names_in_object_stream": with_object_stream(
        {3: PAGE},
        {1: catalog(b"/Open#41ction 4 0 R"), 2: PAGES, 4: b"<< /S /Java#53cript /J#53 (x) >>"},
    ),
    "aa_in_object_stream": with_object_stream(
        {},
        {
            1: catalog(),
            2: PAGES,
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /AA << /O << /S /Launch /F (x) >> >> >>",
        },
    ),
    "embedded_file_in_object_stream": with_object_stream(
        {3: PAGE, 5: b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"},
        {
            1: catalog(b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>"),
            2: PAGES,
            4: b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
        },
    ),
    "unlisted_object_with_javascript": classic(
        {1: catalog(b"/OpenAction 4 0 R"), 2: PAGES, 3: PAGE, 4: JS_ACTION}, listed={1, 2, 3}
    ),
}


def unreadable() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R\n" + b"\x00garbage" * 50


def encrypted() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
