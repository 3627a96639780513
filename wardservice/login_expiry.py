"""The end of a login (SESSION_IDLE_MINUTES without a request) as the staff meet it.

- Every staff page warns a few minutes before the login ends (static/js/session-timer.js) and
  offers 「延長する」, which posts to `session_extend`. Any request moves the end forward
  (SESSION_SAVE_EVERY_REQUEST); this one does nothing else and says how long the login now lasts.
- A staff page asked for after the login has ended sends the person to the login page, as
  login_required always did; `LoginExpiredMiddleware` says why on the way. A form sent then (保存
  pressed after a long phone call) is not saved, and after logging in the person is back on the
  page the form was on, where the browser's copy of what they typed is offered back
  (static/js/draft-keeper.js).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST


def idle_minutes() -> int:
    return settings.SESSION_COOKIE_AGE // 60


def login_ended_message() -> str:
    return f"{idle_minutes()}分以上操作がなかったため、ログインの有効期限が切れました。もう一度ログインしてください。"


def post_refused_message() -> str:
    # Said alike whether the login ran out or was ended in another tab: the page's own scripts
    # (the preview) may already have met the ended login and dropped its cookie.
    return (
        "ログインが切れていたため、送信した内容は保存されていません"
        f" ({idle_minutes()}分以上操作がないと、ログインは切れます)。"
        "もう一度ログインすると元の画面に戻り、入力していた内容を復元できます。"
    )


@login_required
@require_POST
@never_cache
def session_extend(request):
    """延長する: the login lasts SESSION_IDLE_MINUTES from now. Answers how many seconds that is."""
    request.session.modified = True
    return JsonResponse({"seconds": request.session.get_expiry_age()})


class LoginExpiredMiddleware:
    """Says on the way to the login page that the login has ended, and brings a form sent after it
    back to its page.

    Only the redirects to the login page of someone not logged in are touched; they come from
    login_required. A form sent (POST) from a staff page was sent by someone who was logged in when
    the page was opened. A page asked for with the session cookie still sent is asked for after the
    login ended: nobody gets one before logging in, and logging out removes it. A request made by a page's script
    (Sec-Fetch-Mode other than navigate: the preview, 延長する) gets no message: the person would
    never see it, and it would be gone before the one they do see.

    Placed after MessageMiddleware, so that the message is stored with the redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not _to_login(response) or request.user.is_authenticated:
            return response
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            return response
        if request.method == "POST":
            messages.warning(request, post_refused_message())
            return redirect_to_login(_page_of_the_form(request))
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            messages.warning(request, login_ended_message())
        return response


def _to_login(response) -> bool:
    if response.status_code != 302:
        return False
    return urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)


def _page_of_the_form(request) -> str:
    """Where a POST came from (its Referer on this site), else its own address: after logging in,
    the page with the form, not the address it posts to (which may answer only POST)."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()
