"""公表 for staff, under /staff/ (mounted ahead of the goals app's staff pages)."""

from django.urls import path

from reports import views_staff

app_name = "publishing"

publish = "<slug:office>/<int:year>/publish/"

urlpatterns = [
    path(publish, views_staff.overview, name="overview"),
    # The version routes come first: "v1" would also match <str:kind>.
    path(publish + "v<int:version>/", views_staff.progress, name="progress"),
    path(publish + "v<int:version>/status.json", views_staff.status, name="status"),
    path(publish + "v<int:version>/retry/", views_staff.retry, name="retry"),
    path(publish + "<str:kind>/", views_staff.publish, name="publish"),
]
