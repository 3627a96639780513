"""公表 for staff, under /staff/ (mounted ahead of the goals app's staff pages)."""

from django.urls import path

from reports import views_entry, views_import, views_staff

app_name = "publishing"

publish = "<slug:office>/<int:year>/publish/"
import_ = "<slug:office>/<int:year>/import/"

entry_sheet = "<slug:office>/<int:year>/sheets/<str:code>/"

urlpatterns = [
    path(publish, views_staff.overview, name="overview"),
    # The version routes come first: "v1" would also match <str:kind>.
    path(publish + "v<int:version>/", views_staff.progress, name="progress"),
    path(publish + "v<int:version>/status.json", views_staff.status, name="status"),
    path(publish + "v<int:version>/retry/", views_staff.retry, name="retry"),
    path(publish + "<str:kind>/", views_staff.publish, name="publish"),
    # 取込 (reports.views_import): preview first, written on 確定.
    path(import_, views_import.table_upload, name="import_table"),
    path(import_ + "confirm/", views_import.table_confirm, name="import_table_confirm"),
    path(import_ + "published/", views_import.published_upload, name="import_published"),
    path(import_ + "published/confirm/", views_import.published_confirm, name="import_published_confirm"),
    # 記入用Excel (reports.views_entry): download, upload with a preview, 確定, and every department's as a zip.
    path(entry_sheet + "workbook/", views_entry.download, name="entry_workbook"),
    path(entry_sheet + "workbook/upload/", views_entry.upload, name="entry_upload"),
    path(entry_sheet + "workbook/confirm/", views_entry.confirm, name="entry_confirm"),
    path("<slug:office>/<int:year>/workbooks.zip", views_entry.workbooks_zip, name="entry_zip"),
]
