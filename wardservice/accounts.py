"""Logging in and changing one's password, with or without the city's directory.

- The login page says which account to use when directory login is on, and when the directory
  could not be asked, says that (not "wrong password"), keeping the name typed.
- An account without a usable password (a directory account: wardservice.ldap_backend) has no
  password to change here: the password change pages explain where it is changed instead, and
  change nothing; the staff menu shows no link to them.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import render

from wardservice.ldap_login import BACKEND

# Set on the request by wardservice.ldap_backend when the directory could not be asked.
UNAVAILABLE = "directory_unavailable"

PASSWORD_ELSEWHERE_TEMPLATE = "registration/password_change_elsewhere.html"


def directory_login_enabled():
    return BACKEND in settings.AUTHENTICATION_BACKENDS


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "directory_unavailable": (
            "庁内ディレクトリ (パスワードを確認するサーバー) に接続できなかったため、ログインできませんでした。"
            "しばらく待ってから、もう一度ログインしてください。"
            "続くときは、システム管理者 (情報システム担当) にお知らせください。"
        ),
    }

    @property
    def directory_login(self):
        return directory_login_enabled()

    def get_invalid_login_error(self):
        if getattr(self.request, UNAVAILABLE, False):
            return ValidationError(
                self.error_messages["directory_unavailable"], code="directory_unavailable"
            )
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm


class _PasswordElsewhere:
    """For an account without a usable password: the explanation, in place of the page."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.has_usable_password():
            context = {
                "directory_login": directory_login_enabled(),
                "help_url": getattr(settings, "DIRECTORY_PASSWORD_HELP_URL", ""),
            }
            status = 200 if request.method in ("GET", "HEAD") else 403
            return render(request, PASSWORD_ELSEWHERE_TEMPLATE, context, status=status)
        return super().dispatch(request, *args, **kwargs)


class PasswordChangeView(_PasswordElsewhere, auth_views.PasswordChangeView):
    pass


class PasswordChangeDoneView(_PasswordElsewhere, auth_views.PasswordChangeDoneView):
    pass
