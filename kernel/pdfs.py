"""Refusing active PDFs: scripts, automatic actions, launches and attached files.

A byte scan for ``/JS`` misses the same name written with ``#xx`` escapes
(``/J#53``) or kept inside a compressed object stream. Here the file is parsed with
pypdf and every object the cross-reference lists — also those inside object
streams — is walked, with names as pypdf decodes them. As a second net, the raw
bytes and every decoded object stream are scanned for name tokens with their
``#xx`` escapes decoded, so an object the cross-reference does not list (which a
viewer may still find when it repairs the file) is caught too. A PDF that cannot be
parsed, or is encrypted (its objects cannot be read), is refused.

Accepted PDFs are still served only as downloads, in a sandbox
(``kernel.private_files``).
"""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

logger = logging.getLogger("handoff.uploads")

#: Names (keys or values) that make a PDF act on its own or carry other files.
FORBIDDEN_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/FileAttachment",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/Rendition",
    }
)
MAX_OBJECTS = 100_000
MAX_OBJECT_STREAM_BYTES = 50 * 1024 * 1024  # decoded, all object streams together
MAX_NODES = 2_000_000

# A PDF name token: a solidus then regular characters (PDF 32000-1, 7.3.5).
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class ActivePdf(Exception):
    """The PDF holds ``name`` (a script, an automatic action or an attached file)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class UnreadablePdf(Exception):
    """pypdf could not parse the file, or it is encrypted, or too large to inspect."""


def check_pdf(data: bytes) -> None:
    """Raise ``ActivePdf`` or ``UnreadablePdf``; return quietly for a passive PDF."""
    scan_names(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnreadablePdf("encrypted")
        _walk(reader, data)
    except (ActivePdf, UnreadablePdf):
        raise
    except Exception as exc:  # noqa: BLE001 - whatever pypdf cannot read, we cannot check
        logger.info("PDF refused: pypdf could not read it (%s)", type(exc).__name__)
        raise UnreadablePdf(type(exc).__name__) from exc


def scan_names(data: bytes) -> None:
    """Every name token in ``data``, ``#xx`` escapes decoded, checked by name."""
    for match in _NAME.finditer(data):
        raw = match.group(1)
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        decoded = "/" + name.decode("latin-1")
        if decoded in FORBIDDEN_NAMES:
            raise ActivePdf(decoded)


_OBJ_HEADER = re.compile(
    rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\x0c\r ]+([0-9]{1,5})[\x00\t\n\x0c\r ]+obj\b"
)


def _object_ids(reader: PdfReader, data: bytes) -> list[IndirectObject]:
    """Every object the cross-reference lists (also inside object streams), and every
    ``N G obj`` in the bytes that it does not list (a viewer repairing the file
    would find those)."""
    ids = {(num, generation) for generation, table in reader.xref.items() for num in table}
    ids |= {(num, 0) for num in reader.xref_objStm}
    for match in _OBJ_HEADER.finditer(data):
        ids.add((int(match.group(1)), int(match.group(2))))
        if len(ids) > MAX_OBJECTS:
            break
    if len(ids) > MAX_OBJECTS:
        raise UnreadablePdf("too many objects")
    return [IndirectObject(num, generation, reader) for num, generation in sorted(ids)]


def _walk(reader: PdfReader, data: bytes) -> None:
    """Every object and everything directly inside it (dictionaries, stream
    dictionaries, arrays), keys and name values compared with ``FORBIDDEN_NAMES``;
    object streams are decoded (within a budget) and their bytes scanned too."""
    seen: set[int] = set()
    stack: list = [reader.trailer]
    for ref in _object_ids(reader, data):
        stack.append(reader.get_object(ref))
    decoded_bytes = 0
    nodes = 0
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise UnreadablePdf("too many nodes")
        if isinstance(node, IndirectObject):
            continue  # listed objects are all on the stack already
        if isinstance(node, NameObject):
            if str(node) in FORBIDDEN_NAMES:
                raise ActivePdf(str(node))
        elif isinstance(node, DictionaryObject):
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, StreamObject) and node.get("/Type") == "/ObjStm":
                decoded = node.get_data()
                decoded_bytes += len(decoded)
                if decoded_bytes > MAX_OBJECT_STREAM_BYTES:
                    raise UnreadablePdf("object streams too large")
                scan_names(decoded)
            for key, value in node.items():
                if str(key) in FORBIDDEN_NAMES:
                    raise ActivePdf(str(key))
                stack.append(value)
        elif isinstance(node, ArrayObject):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(node)
