"""Text the parties type (chat messages, dispute statements, reviews and replies)."""

from __future__ import annotations


def clean_text(text: str, limit: int) -> str:
    """Trimmed and cut to ``limit`` characters (the field's own bound)."""
    return (text or "").strip()[:limit]
