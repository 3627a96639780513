"""The staff search, mounted at /staff/search/ ahead of the goals app's staff pages."""

from django.urls import path

from reports import views_search

urlpatterns = [
    path("", views_search.staff_search, name="reports_staff_search"),
]
