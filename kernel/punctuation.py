"""Punctuation that belongs to the reader's language, for text put together in code
(admin columns) and templates: "label: value" / "标签：值", "text (note)" /
"文字（注）", "a, b" / "a、b"."""

from __future__ import annotations

from django.utils.translation import pgettext


def colon() -> str:
    """After a label: ": " in English, "：" (no space) in Chinese."""
    return pgettext("after a label", ": ")


def open_bracket() -> str:
    """An opening bracket after text: " (" / "（"."""
    return pgettext("bracket", " (")


def close_bracket() -> str:
    return pgettext("bracket", ")")


def bracketed(text, note) -> str:
    """ "text (note)" / "文字（注）"."""
    return f"{text}{open_bracket()}{note}{close_bracket()}"


def list_separator() -> str:
    """Between the items of a short list: ", " / "、"."""
    return pgettext("list", ", ")
