from django.contrib import admin
from django.urls import include, path

from goals import urls as goals_urls
from reports import urls as reports_urls
from reports.views.public import home

admin.site.site_header = "区役所サービス向上目標 管理"
admin.site.site_title = "wardservice 管理"
admin.site.index_title = "システム管理"

# Every staff page, behind login. The apps' patterns do not overlap, so their order does not matter.
staff_patterns = [
    *reports_urls.staff_patterns,
    path("", include((goals_urls.urlpatterns, goals_urls.app_name))),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/", include(staff_patterns)),
    path("", home, name="home"),
    path("", include("reports.urls")),
]
