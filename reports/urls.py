from django.urls import include, path

from reports import views, views_info, views_opendata, views_search

app_name = "reports"

year_patterns = [
    path("", views.year_table, name="year"),
    path("table.pdf", views.download, {"fmt": "pdf"}, name="table_pdf"),
    path("table.xlsx", views.download, {"fmt": "xlsx"}, name="table_xlsx"),
    path("table.csv", views.download, {"fmt": "csv"}, name="table_csv"),
    # Every published version, as it was published (第1版, 第2版 …, numbered per year).
    path("v<int:version>/", views.version_page, name="version"),
    path("v<int:version>/table.pdf", views.version_download, {"fmt": "pdf"}, name="version_pdf"),
    path("v<int:version>/table.xlsx", views.version_download, {"fmt": "xlsx"}, name="version_xlsx"),
    path("v<int:version>/table.csv", views.version_download, {"fmt": "csv"}, name="version_csv"),
]

urlpatterns = [
    path("reports/opendata/", views_opendata.data_dictionary, name="data_dictionary"),
    path("reports/opendata/all.csv", views_opendata.all_years_csv, name="opendata_all_csv"),
    path("reports/search/", views_search.search, name="search"),
    path("reports/<slug:office>/<int:year>/stats/", views_info.year_stats, name="stats"),
    path("accessibility/", views_info.accessibility, name="accessibility"),
    path("reports/<slug:office>/<int:year>/", include(year_patterns)),
]
