"""The public pages' ふりがな toggle: which stored page a reader gets, and how it is cached.

`?furigana=1` turns ふりがな on and `?furigana=0` off; the choice is remembered in a cookie for
the whole public site, so it needs no JavaScript. A year page whose version has stored readings
(reports.models.PublicationReadings) is one of two stored files: the page published at 公表
(which has the link 「ふりがなを表示」 under its title), or the page with ruby stored beside it
(with 「ふりがなを消す」). Each is served as stored, with its own SHA-256 as the ETag; the
responses vary with the cookie, and a response to a URL with the parameter sets the cookie, so it
is private. A version without readings is served exactly as before, the cookie not read.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import FileResponse, QueryDict
from django.utils.cache import patch_cache_control, patch_vary_headers

from reports.furigana.page import PARAM

COOKIE = PARAM
COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def wanted(request) -> tuple[bool, bool]:
    """(ふりがな on?, chosen by this URL's parameter?)"""
    value = request.GET.get(PARAM)
    if value in ("0", "1"):
        return value == "1", True
    return request.COOKIES.get(COOKIE) == "1", False


def remember(request, response, on: bool, explicit: bool) -> None:
    """Keep the reader's choice in the cookie (when this URL made it), and vary with the cookie."""
    patch_vary_headers(response, ["Cookie"])
    if not explicit:
        return
    if on:
        response.set_cookie(
            COOKIE,
            "1",
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(COOKIE, samesite="Lax")
    patch_cache_control(response, private=True)


def toggle_href(on: bool, query=None) -> str:
    """Where the toggle leads: this page with the parameter turned the other way (`query`, a
    QueryDict, keeps the page's other parameters: the search's words and page)."""
    query = query.copy() if query is not None else QueryDict(mutable=True)
    query[PARAM] = "0" if on else "1"
    return "?" + query.urlencode()


@dataclass(frozen=True)
class YearPage:
    """A year page that has ふりがな: which of its stored files this reader gets."""

    stored: object  # PublicationFile (HTML)
    readings: object  # PublicationReadings
    on: bool
    explicit: bool

    @property
    def _file(self):
        if self.on:
            return self.readings.file
        return self.readings.plain_file or self.stored.file

    @property
    def sha256(self) -> str:
        if self.on:
            return self.readings.sha256
        return self.readings.plain_sha256 or self.stored.sha256

    @property
    def modified_at(self):
        """When the file served was stored: a page made with the readings is newer than 公表."""
        published_at = self.stored.publication.published_at
        if self.on or self.readings.plain_file:
            return max(published_at, self.readings.made_at)
        return published_at

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    def content(self) -> bytes:
        with self._file.open("rb") as handle:
            return handle.read()

    def response(self) -> FileResponse:
        return FileResponse(self._file.open("rb"), content_type="text/html; charset=utf-8")

    def remember(self, request, response) -> None:
        remember(request, response, self.on, self.explicit)


def year_page(request, stored) -> YearPage | None:
    """The reader's page of a version with ふりがな, or None for one without (served as before).

    Asks the database nothing: the readings come with the file (reports.selectors)."""
    if stored is None:
        return None
    readings = getattr(stored.publication, "readings", None)
    if readings is None:
        return None
    on, explicit = wanted(request)
    return YearPage(stored=stored, readings=readings, on=on, explicit=explicit)
