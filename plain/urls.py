"""The glossary pages for 総務課 (under /staff/, namespace "plain")."""

from django.urls import path

from plain import views

app_name = "plain"

urlpatterns = [
    path("<slug:office>/glossary/", views.glossary, name="glossary"),
    path("<slug:office>/glossary/new/", views.term_new, name="term_new"),
    path("<slug:office>/glossary/standard/", views.add_standard, name="add_standard"),
    path("<slug:office>/glossary/<int:pk>/", views.term_edit, name="term_edit"),
    path("<slug:office>/glossary/<int:pk>/delete/", views.term_delete, name="term_delete"),
]
