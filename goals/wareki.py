"""Japanese era names for fiscal years (年度 run April to March, named by the year they start)."""

# (first western year of the era, era name); newest first.
_ERAS = (
    (2019, "令和"),
    (1989, "平成"),
    (1926, "昭和"),
)


def wareki_year(year: int) -> str:
    """令和2 for 2020, 令和元 for 2019, 平成31 for 2019-01…04 is never asked: fiscal years only."""
    for first, era in _ERAS:
        if year >= first:
            n = year - first + 1
            return f"{era}{'元' if n == 1 else n}"
    raise ValueError(f"{year} is before the supported eras")


def fiscal_year_label(year: int) -> str:
    """令和2年度"""
    return f"{wareki_year(year)}年度"


def fiscal_year_full_label(year: int) -> str:
    """令和2年度 (2020年度): the form shown to people, with the western year."""
    return f"{fiscal_year_label(year)} ({year}年度)"
