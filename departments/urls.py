"""The office's own pages for 総務課 (under /staff/, namespace "departments")."""

from django.urls import path

from departments.views import people, setup

app_name = "departments"

urlpatterns = [
    # 部署と区分の取込 (departments.views.setup)
    path("<slug:office>/setup/import/", setup.setup_import, name="setup_import"),
    path("<slug:office>/setup/import/confirm/", setup.setup_import_confirm, name="setup_import_confirm"),
    path("<slug:office>/setup/files/<str:filename>", setup.setup_file, name="setup_file"),
    # 職員と人事異動 (departments.views.people)
    path("<slug:office>/people/", people.people, name="people"),
    path("<slug:office>/people/new/", people.person_new, name="person_new"),
    path("<slug:office>/people/<int:pk>/", people.person, name="person"),
    path("<slug:office>/people/<int:pk>/leave/", people.person_leave, name="person_leave"),
    path("<slug:office>/people/<int:pk>/password/", people.person_password, name="person_password"),
    path("<slug:office>/people/changes/", people.changes, name="staff_changes"),
    path("<slug:office>/people/changes/<int:pk>/cancel/", people.change_cancel, name="staff_change_cancel"),
    path("<slug:office>/people/transfers/", people.transfer_upload, name="transfers"),
    path("<slug:office>/people/transfers/confirm/", people.transfer_confirm, name="transfers_confirm"),
]
