"""Every URL of the reports app: the public pages, and the staff pages mounted under /staff/."""

from django.urls import include, path

from reports.views import (
    import_jobs,
    imports,
    info,
    opendata,
    public,
    publishing,
    readings,
    search,
    submissions,
    workbooks,
)

app_name = "reports"

year_patterns = [
    path("", public.year_table, name="year"),
    path("table.pdf", public.download, {"fmt": "pdf"}, name="table_pdf"),
    path("table.xlsx", public.download, {"fmt": "xlsx"}, name="table_xlsx"),
    path("table.csv", public.download, {"fmt": "csv"}, name="table_csv"),
    # Every published version, as it was published (第1版, 第2版 …, numbered per year).
    path("v<int:version>/", public.version_page, name="version"),
    path("v<int:version>/table.pdf", public.version_download, {"fmt": "pdf"}, name="version_pdf"),
    path("v<int:version>/table.xlsx", public.version_download, {"fmt": "xlsx"}, name="version_xlsx"),
    path("v<int:version>/table.csv", public.version_download, {"fmt": "csv"}, name="version_csv"),
]

urlpatterns = [
    path("reports/opendata/", opendata.data_dictionary, name="data_dictionary"),
    path("reports/opendata/all.csv", opendata.all_years_csv, name="opendata_all_csv"),
    path("reports/search/", search.search, name="search"),
    path("reports/<slug:office>/<int:year>/stats/", info.year_stats, name="stats"),
    path("accessibility/", info.accessibility, name="accessibility"),
    path("reports/<slug:office>/<int:year>/", include(year_patterns)),
]

publish = "<slug:office>/<int:year>/publish/"
import_ = "<slug:office>/<int:year>/import/"
entry_sheet = "<slug:office>/<int:year>/sheets/<str:code>/"

# Staff pages (under /staff/, wardservice/urls.py), in the "publishing" namespace.
publishing_patterns = [
    # 公表 (reports.publishing): what will be published, then the render's progress.
    path(publish, publishing.overview, name="overview"),
    # The version routes come first: "v1" would also match <str:kind>.
    path(publish + "v<int:version>/", publishing.progress, name="progress"),
    path(publish + "v<int:version>/status.json", publishing.status, name="status"),
    path(publish + "v<int:version>/retry/", publishing.retry, name="retry"),
    # 公表 itself: GET the table as it will be frozen and the confirmation, POST publishes.
    path(publish + "<str:kind>/", publishing.publish, name="publish"),
    path(publish + "<str:kind>/preview.pdf", publishing.publish_preview_pdf, name="preview_pdf"),
    # 取込 (reports.imports): preview first, written on 確定.
    path(import_, imports.table_upload, name="import_table"),
    path(import_ + "confirm/", imports.table_confirm, name="import_table_confirm"),
    path(import_ + "jobs/<int:pk>/", import_jobs.progress, name="import_job"),
    path(import_ + "jobs/<int:pk>/status.json", import_jobs.status, name="import_job_status"),
    path(import_ + "published/", imports.published_upload, name="import_published"),
    path(import_ + "published/confirm/", imports.published_confirm, name="import_published_confirm"),
    # 記入用Excel (reports.imports.workbook): download, upload with a preview, 確定, every department's as a zip.
    path(entry_sheet + "workbook/", workbooks.download, name="entry_workbook"),
    path(entry_sheet + "workbook/upload/", workbooks.upload, name="entry_upload"),
    path(entry_sheet + "workbook/confirm/", workbooks.confirm, name="entry_confirm"),
    path("<slug:office>/<int:year>/workbooks.zip", workbooks.workbooks_zip, name="entry_zip"),
    # 締切に対する提出状況: internal, so here rather than on the public statistics page.
    path("<slug:office>/<int:year>/timeliness/", submissions.timeliness, name="timeliness"),
]

# 総務課's ふりがなの辞書 (reports.views.readings), in the "furigana" namespace.
furigana = "<slug:office>/furigana/"
furigana_patterns = [
    path(furigana, readings.dictionary, name="dictionary"),
    path(furigana + "new/", readings.entry_new, name="entry_new"),
    path(furigana + "<int:pk>/", readings.entry_edit, name="entry_edit"),
    path(furigana + "<int:pk>/delete/", readings.entry_delete, name="entry_delete"),
]

staff_patterns = [
    path("search/", search.staff_search, name="reports_staff_search"),
    path("", include((publishing_patterns, "publishing"))),
    path("", include((furigana_patterns, "furigana"))),
]
