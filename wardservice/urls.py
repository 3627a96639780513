from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from departments import urls as departments_urls
from goals import urls as goals_urls
from plain import urls as plain_urls
from reports import urls as reports_urls
from reports.views.public import home
from wardservice import accounts
from wardservice.login_expiry import session_extend
from wardservice.version import __version__
from wardservice.views import favicon, healthz

admin.site.site_header = "区役所サービス向上目標 管理"
admin.site.site_title = "wardservice 管理"
admin.site.index_title = f"システム管理 (wardservice {__version__})"

# Every staff page, behind login. The apps' patterns do not overlap, so their order does not matter.
staff_patterns = [
    path("session/extend/", session_extend, name="session_extend"),
    *reports_urls.staff_patterns,
    path("", include((goals_urls.urlpatterns, goals_urls.app_name))),
    path("", include((departments_urls.urlpatterns, departments_urls.app_name))),
    path("", include((plain_urls.urlpatterns, plain_urls.app_name))),
]

# Logging in and out and changing one's own password. Accounts are issued and reset by 総務課
# (人事) and IT, so there is no self-service password reset by e-mail: its URLs do not exist.
account_patterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Directory accounts change their password in the city's directory: these explain that.
    path("password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", accounts.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    path("staff/", include(staff_patterns)),
    path("healthz", healthz, name="healthz"),  # for monitoring: statuses only, no login
    path("favicon.ico", favicon, name="favicon"),
    path("", home, name="home"),
    path("", include("reports.urls")),
]

# Japanese error pages in the site's layout (wardservice.errors); the 500 page is Django's own view
# rendering templates/500.html, which needs no database.
handler400 = "wardservice.errors.bad_request"
handler403 = "wardservice.errors.permission_denied"
handler404 = "wardservice.errors.page_not_found"
