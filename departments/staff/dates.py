"""Dates as people type them in a form or a spreadsheet (異動日)."""

import re
import unicodedata
from datetime import date

_WESTERN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_REIWA = re.compile(r"(?:令和|R)(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?", re.IGNORECASE)


def parse_day(value) -> date | None:
    """A date as people type it in a spreadsheet; None when it is not one (ValueError: a day
    that does not exist, such as 2025-02-30)."""
    typed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))
    typed = typed.removesuffix("T00:00:00").removesuffix("00:00:00")
    for pattern, first_year in ((_WESTERN, 0), (_REIWA, 2018), (_COMPACT, 0)):
        match = pattern.fullmatch(typed)
        if match:
            year, month, day = match.groups()
            year = 1 if year == "元" else int(year)
            return date(year + first_year, int(month), int(day))
    return None
