"""Staff pages, all under /staff/ and all behind login."""

from django.urls import path

from goals.views import editor, mail, review, writing

app_name = "goals"

sheet = "<slug:office>/<int:year>/sheets/<str:code>/"

urlpatterns = [
    path("", editor.home, name="home"),
    path("<slug:office>/years/", review.years, name="years"),
    path("<slug:office>/mail/", mail.undelivered, name="undelivered_mail"),
    path("<slug:office>/mail/<int:pk>/retry/", mail.retry, name="mail_retry"),
    path("<slug:office>/<int:year>/", review.dashboard, name="dashboard"),
    path("<slug:office>/<int:year>/phase/<str:phase>/", review.phase, name="phase"),
    path("<slug:office>/<int:year>/max-goals/", review.max_goals, name="max_goals"),
    path(sheet, editor.sheet_detail, name="sheet"),
    path(sheet + "plan/", editor.plan_edit, name="plan_edit"),
    path(sheet + "results/", editor.results_edit, name="results_edit"),
    path(sheet + "preview/", editor.preview, name="preview"),
    path(sheet + "hints/", writing.hints, name="hints"),  # やさしい日本語, as typed
    path(sheet + "submit/<str:phase>/", editor.submit, name="submit"),
    path(sheet + "approve/<str:phase>/", review.approve, name="approve"),
    path(sheet + "return/<str:phase>/", review.return_sheet, name="return"),
    path(sheet + "reopen/<str:phase>/", review.reopen, name="reopen"),
    path(sheet + "changes/<str:phase>/", review.changes, name="changes"),
]
