"""What the middleware layer answers instead of a view.

- 503 while the database cannot be reached: a static page (the traceback goes to the ERROR log,
  never to the visitor).
- 429 when django-axes has locked a username out from an address (AXES_LOCKOUT_CALLABLE).
"""

import logging
from datetime import timedelta

from axes.helpers import get_cool_off
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 120
UNAVAILABLE_TEMPLATE = "503.html"
LOCKOUT_TEMPLATE = "registration/locked_out.html"


def database_unavailable_response(request, exception):
    """The 503 page. Rendered without the request: context processors would query the database."""
    logger.error(
        "Database unavailable during %s %s: %s", request.method, request.path, exception,
        exc_info=exception,
    )
    response = HttpResponse(render_to_string(UNAVAILABLE_TEMPLATE), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    response.database_unavailable = True
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database error raised by a view into the 503 page.

    The session and the user are loaded lazily, on first use, which is inside the view or its
    template; so an unreachable database surfaces here whether the view queried it or only
    asked who is logged in. Django turns an exception into a 500 response at every middleware
    layer, so an error raised by another middleware never reaches this one: the one such place,
    saving the session, is handled by `SessionMiddleware` below.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable_response(request, exception)
        return None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, answering the 503 page when the session cannot be stored.

    The session is saved after the view on every request (SESSION_SAVE_EVERY_REQUEST, for the
    idle timeout), so the database can be found down here even when the view never used it, as
    on a 404. After the 503 page the session is left alone: even deciding how to save it reads
    it from the database.
    """

    def process_response(self, request, response):
        if getattr(response, "database_unavailable", False):
            return response
        try:
            return super().process_response(request, response)
        except DATABASE_ERRORS as exception:
            return database_unavailable_response(request, exception)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the 429 page, saying until when.

    Every attempt while locked counts as a failure and restarts the cool-off, so the lock ends
    one cool-off after this request.
    """
    cool_off = get_cool_off(request)
    context = {
        "retry_at": _next_minute(timezone.localtime() + cool_off),
        "minutes": int(cool_off.total_seconds() // 60),
    }
    response = render(request, LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    add_never_cache_headers(response)
    return response


def _next_minute(moment):
    """The moment rounded up to a whole minute: the page shows hours and minutes."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


# The length of django-axes' AccessAttempt.username column.
AXES_USERNAME_MAX_LENGTH = 255


def axes_username(request, credentials=None):
    """The username django-axes records for a failed login, cut to fit its column.

    The login form lets a username of any length through (AuthenticationForm does not validate
    its max_length), and PostgreSQL refuses a value longer than the column with an error rather
    than cutting it: without this, a long username on the login page is a 500. No account has
    such a name, so cutting it changes nothing for anyone real.
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username[:AXES_USERNAME_MAX_LENGTH] if isinstance(username, str) else username
