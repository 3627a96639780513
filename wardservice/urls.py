from django.contrib import admin
from django.urls import include, path

from reports.views import home

admin.site.site_header = "区役所サービス向上目標 管理"
admin.site.site_title = "wardservice 管理"
admin.site.index_title = "システム管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/search/", include("reports.urls_search")),
    path("staff/", include("reports.urls_staff")),
    path("staff/", include("goals.urls")),
    path("", home, name="home"),
    path("", include("reports.urls")),
]
