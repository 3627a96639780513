from django.urls import include, path

from reports import views

app_name = "reports"

year_patterns = [
    path("", views.year_table, name="year"),
    path("table.pdf", views.download, {"fmt": "pdf"}, name="table_pdf"),
    path("table.xlsx", views.download, {"fmt": "xlsx"}, name="table_xlsx"),
    path("table.csv", views.download, {"fmt": "csv"}, name="table_csv"),
]

urlpatterns = [
    path("reports/opendata/", views.data_dictionary, name="data_dictionary"),
    path("reports/<slug:office>/<int:year>/", include(year_patterns)),
]
