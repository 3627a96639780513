"""The office directory pages for 総務課 (under /staff/, namespace "departments")."""

app_name = "departments"

urlpatterns = []
