from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from departments import urls as departments_urls
from goals import urls as goals_urls
from reports import urls as reports_urls
from reports.views.public import home
from wardservice.version import __version__
from wardservice.views import healthz

admin.site.site_header = "区役所サービス向上目標 管理"
admin.site.site_title = "wardservice 管理"
admin.site.index_title = f"システム管理 (wardservice {__version__})"

# Every staff page, behind login. The apps' patterns do not overlap, so their order does not matter.
staff_patterns = [
    *reports_urls.staff_patterns,
    path("", include((goals_urls.urlpatterns, goals_urls.app_name))),
    path("", include((departments_urls.urlpatterns, departments_urls.app_name))),
]

# Logging in and out and changing one's own password. Accounts are issued and reset by 総務課
# (人事) and IT, so there is no self-service password reset by e-mail: its URLs do not exist.
account_patterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    path("staff/", include(staff_patterns)),
    path("healthz", healthz, name="healthz"),  # for monitoring: statuses only, no login
    path("", home, name="home"),
    path("", include("reports.urls")),
]
