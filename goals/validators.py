"""Validators for the plain text people type into goals and results."""

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters other than tab, line feed and carriage return: invisible, never
# meant, and they break printing, XML (XLSX, XHTML, PDF tags) and spreadsheets. Every entry point
# refuses them and every printed format drops them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text or "") is not None


def strip_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text or "")


def validate_plain_text(value: str):
    """Refuse invisible control characters (they break printing and spreadsheets)."""
    if has_control_characters(value):
        raise ValidationError("制御文字 (目に見えない特殊な文字) が含まれています。削除してから保存してください。", code="control")


def normalise_text(value: str) -> str:
    """Line breaks as \\n and no blank edges: the form browsers send (\\r\\n) is not what we print."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
