"""The error pages: 400, 403, 404 (wardservice.urls' handlers), 500 and the CSRF failure page.

Each says in Japanese what happened and what to do, inside the site's layout with its links.
The 500 page is Django's own view (django.views.defaults.server_error) rendering
templates/500.html without the request: no context processor, nothing that queries, so it
shows even when the error was the database. A database that fails while one of these pages
asks who is logged in gets the 503 page (wardservice.middleware), as every other page does.
"""

import logging
import re
from urllib.parse import urlsplit

from django.core.exceptions import SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from wardservice.kept_input import kept_input
from wardservice.middleware import DATABASE_ERRORS, database_unavailable_response

logger = logging.getLogger(__name__)

# Kana or kanji: a refusal the project wrote for the person reading it. Django's own messages
# ("No GoalSheet matches the given query.", a URL pattern) are for developers and stay hidden.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def bad_request(request, exception):
    return _error_page(request, "400.html", 400)


def permission_denied(request, exception):
    return _error_page(request, "403.html", 403, message=visitor_message(exception))


def page_not_found(request, exception):
    return _error_page(request, "404.html", 404, message=visitor_message(exception))


def visitor_message(exception) -> str:
    """The exception's message when the project wrote it for people (in Japanese), else ""."""
    message = exception.args[0] if exception is not None and exception.args else None
    return message if isinstance(message, str) and JAPANESE.search(message) else ""


def _error_page(request, template, status, **context):
    try:
        response = render(request, template, context, status=status)
    except DATABASE_ERRORS as error:  # the header's user menu loads the session and the user
        return database_unavailable_response(request, error)
    add_never_cache_headers(response)
    return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form was refused; show what it held, to copy into it again.

    Sent from another site (its Origin or Referer says so) nothing is shown back: what a page
    elsewhere posted is not something a person typed here. Django has logged the refusal
    (django.security.csrf) with its reason.
    """
    kept = None
    if request.method == "POST" and _same_origin(request):
        try:
            kept = kept_input(request.POST)
        except (SuspiciousOperation, MultiPartParserError, OSError):  # too big, too many, cut off
            logger.warning("The refused form's data could not be read", exc_info=True)
    context = {"kept": kept, "back_url": _back_url(request)}
    return _error_page(request, "403_csrf.html", 403, **context)


def _same_origin(request):
    """False when the browser says the form came from another site (Origin or Referer)."""
    for header in ("HTTP_ORIGIN", "HTTP_REFERER"):
        value = request.META.get(header)
        if value and not _is_ours(request, value):
            return False
    return True


def _is_ours(request, url):
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and bool(urlsplit(url).netloc)


def _back_url(request):
    """The page the form was on (the Referer, when it is one of ours), as a path; else None."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or not _is_ours(request, referer):
        return None
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")
