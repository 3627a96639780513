"""Imports of any size: a row limit per file, a preview that summarises, 確定 as a background job
with its progress (as 公表), the command's progress on stdout, and a bounded number of queries."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Department
from goals.models import FiscalYear, Goal, GoalSheet, SheetStatus
from reports.imports.jobs import import_job_run
from reports.imports.table import CHECKING, MAX_ROWS, TOO_MANY_ROWS, WRITING, import_table
from reports.models import ImportJob, ImportStatus, PendingUpload
from tests.personas import client_for
from tests.reports.import_helpers import counts, post_file, synthetic_csv, url

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def job_url(job, name="import_job"):
    return reverse(
        f"publishing:{name}", kwargs={"office": job.office.slug, "year": job.year, "pk": job.pk}
    )


def confirm(client, data, filename="large.csv"):
    preview = post_file(client, "import_table", data, filename)
    assert preview.status_code == 200 and "token" in preview.context, preview.content.decode()[
        :2000
    ]
    return client.post(url("import_table_confirm"), {"token": preview.context["token"]})


# --- the limit and the summarised preview ---------------------------------------------------------


def test_a_file_over_the_row_limit_is_refused_with_the_limit_named(seed_year, people, tmp_path):
    data = synthetic_csv(MAX_ROWS // 3 + 1)  # 20,001 rows
    before = counts()

    page = post_file(client_for(people.approver), "import_table", data, "too-many.csv")

    text = page.content.decode()
    assert (
        "データの行が多すぎます (20,000 行まで)" in text
        and "部署ごとに複数のファイルに分けて" in text
    )
    assert "確定して取り込む" not in text
    path = tmp_path / "too-many.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=re.escape(TOO_MANY_ROWS)):
        call_command("import_table", str(path), office="nakahara", year=2019, stdout=io.StringIO())
    assert counts() == before
    assert not PendingUpload.objects.exists()


def test_the_preview_of_a_file_at_the_limit_summarises_and_stays_small(seed_year, people):
    data = synthetic_csv(MAX_ROWS // 3, goals=3)  # 6,666 departments: 19,998 rows
    data += synthetic_csv(1, goals=2, first_code=900000).split(b"\r\n", 1)[1]  # and 2 more: 20,000

    page = post_file(client_for(people.approver), "import_table", data, "at-the-limit.csv")

    assert page.status_code == 200
    text = page.content.decode()
    assert "データの行: 20,000" in text and "部署: 6,667 (新規 6,667)" in text
    assert "取込: 6,667 シート / 20,000 目標" in text
    assert text.count('<th scope="row">') == 50  # the first departments, then a count
    assert "他 6,617 部署 (うち新規 6,617)" in text
    assert len(page.content) < 32_000, len(page.content)  # every row listed: over 2 MB


def test_problems_beyond_the_first_are_counted_not_listed(seed_year, people):
    data = synthetic_csv(
        400, year=2018
    )  # 1,200 rows of another year than the page's: 年度 and 年度(和暦)

    page = post_file(client_for(people.approver), "import_table", data, "wrong-year.csv")

    text = page.content.decode()
    assert "取り込めません (2,400 件の問題)" in text
    assert text.count("取込先の年度と") == 100
    assert "他 2,300 件の問題があります" in text
    assert len(page.content) < 48_000, len(page.content)


# --- 確定 in the background ---------------------------------------------------------------------


def test_confirm_runs_the_import_as_a_job_whose_page_shows_its_progress_then_its_outcome(
    seed_year, people, settings
):
    settings.TASKS = DUMMY_TASKS  # queued, not run: as with a worker that has not picked it up yet
    client = client_for(people.approver)

    response = confirm(client, synthetic_csv(40))

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job_url(job)
    assert (job.status, job.owner, job.year, job.filename) == (
        ImportStatus.PENDING,
        people.approver,
        2019,
        "large.csv",
    )
    waiting = client.get(job_url(job)).content.decode()
    assert (
        "待機中" in waiting and 'data-status-url="' + job_url(job, "import_job_status") in waiting
    )
    assert client.get(job_url(job, "import_job_status")).json() == {
        "status": "pending",
        "status_label": "待機中",
        "progress": 2,
        "finished": False,
    }
    assert not FiscalYear.objects.filter(office=seed_year.office, year=2019).exists()

    import_job_run(job.pk)  # what the worker does

    job.refresh_from_db()
    assert (job.status, job.progress, bytes(job.data)) == (ImportStatus.DONE, 100, b"")
    assert job.summary["sheets_imported"] == 40 and job.summary["goals_imported"] == 120
    status = client.get(job_url(job, "import_job_status")).json()
    assert status == {"status": "done", "status_label": "完了", "progress": 100, "finished": True}
    done = client.get(job_url(job)).content.decode()
    assert "「large.csv」を取り込みました (令和元年度): 部署 40 (うち新規 40)、シート 40 件、目標 120 件。" in done
    assert "令和元年度より後の年度があるため「無効」として登録しました" in done  # 2020 is there
    assert reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2019}) in done
    sheets = GoalSheet.objects.filter(fiscal_year__office=seed_year.office, fiscal_year__year=2019)
    assert set(sheets.values_list("plan_status", flat=True)) == {SheetStatus.APPROVED}
    assert Goal.objects.filter(sheet__in=sheets).count() == 120


def test_the_job_moves_its_progress_as_batches_are_written(seed_year, people, settings):
    settings.TASKS = DUMMY_TASKS
    confirm(client_for(people.approver), synthetic_csv(1_100))  # three batches of sheets
    job = ImportJob.objects.get()

    with CaptureQueriesContext(connection) as queries:
        import_job_run(job.pk)

    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "reports_importjob"')]
    progress = [
        int(re.search(r'"progress" = (\d+)', sql).group(1))
        for sql in updates
        if '"progress" =' in sql
    ]
    assert progress == sorted(progress) and progress[-1] == 100
    assert (
        len([p for p in progress if 30 < p < 100]) == 3
    )  # after each batch of 500, 500 and 100 sheets
    assert ImportJob.objects.get().status == ImportStatus.DONE


def test_a_job_that_finds_problems_keeps_them_and_writes_nothing(seed_year, people, settings):
    settings.TASKS = DUMMY_TASKS
    client = client_for(people.approver)
    confirm(client, synthetic_csv(5))
    job = ImportJob.objects.get()
    # Meanwhile someone brought the same departments in by another way.
    Department.objects.create(
        office=seed_year.office, code="100002", name="試験部 第100002課", writes_goals=False
    )
    before = counts()

    import_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.problem_count >= 1
    assert job.problems[0]["row"] == "8行目" and job.problems[0]["column"] == "部署コード"
    page = client.get(job_url(job)).content.decode()
    assert (
        "取り込めません" in page
        and "目標シートを作成しない組織です" in page
        and "何も取り込んでいません" in page
    )
    assert counts() == before


def test_a_job_nothing_is_heard_of_says_so(seed_year, people, settings):
    settings.TASKS = DUMMY_TASKS
    client = client_for(people.approver)
    confirm(client, synthetic_csv(2))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(
        updated_at=job.updated_at - ImportJob.STALE_AFTER * 2
    )
    assert "しばらく進んでいません" in client.get(job_url(job)).content.decode()


def test_with_tasks_run_at_once_confirm_goes_straight_to_the_dashboard(seed_year, people):
    client = client_for(people.approver)
    response = confirm(client, synthetic_csv(3))
    assert response.url == reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2019})
    assert "を取り込みました" in client.get(response.url).content.decode()
    assert ImportJob.objects.get().status == ImportStatus.DONE


@pytest.mark.parametrize(
    "persona, expected",
    [("approver", 200), ("viewer", 403), ("kumin_editor", 404), ("outsider", 404)],
)
def test_only_the_offices_approvers_see_its_import_jobs(
    seed_year, people, settings, persona, expected
):
    settings.TASKS = DUMMY_TASKS
    confirm(client_for(people.approver), synthetic_csv(1))
    job = ImportJob.objects.get()
    client = client_for(getattr(people, persona))
    assert client.get(job_url(job)).status_code == expected
    assert client.get(job_url(job, "import_job_status")).status_code == expected
    other_year = reverse(
        "publishing:import_job", kwargs={"office": "nakahara", "year": 2018, "pk": job.pk}
    )
    assert client_for(people.approver).get(other_year).status_code == 404


# --- the command and the service -------------------------------------------------------------------


def test_the_command_runs_to_the_end_showing_its_progress(seed_year, tmp_path):
    path = tmp_path / "2019.csv"
    path.write_bytes(synthetic_csv(1_100))
    out = io.StringIO()

    call_command("import_table", str(path), office="nakahara", year=2019, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "3,300 行を確認しています"
    assert lines[1:4] == [
        "書込 500/1,100 シート",
        "書込 1,000/1,100 シート",
        "書込 1,100/1,100 シート",
    ]
    assert "取込 1100 シート / 3300 目標" in lines[4]


def test_progress_is_reported_for_the_rows_checked_and_the_sheets_written(seed_year):
    heard = []
    import_table(
        file=synthetic_csv(3),
        kind="csv",
        office=seed_year.office,
        year=2019,
        progress=lambda step, done, total: heard.append((step, done, total)),
    )
    assert heard == [(CHECKING, 0, 9), (CHECKING, 9, 9), (WRITING, 0, 3), (WRITING, 3, 3)]


def import_queries(office, departments, year):
    with CaptureQueriesContext(connection) as queries:
        import_table(
            file=synthetic_csv(departments, year=year), kind="csv", office=office, year=year
        )
    return len(queries)


def test_an_imports_queries_do_not_grow_with_its_rows(seed_year):
    # Both sizes are one batch of sheets and fit one bulk statement per table on SQLite.
    office = seed_year.office
    assert import_queries(office, 5, 2018) == import_queries(office, 20, 2019)
    # A file that comes back unchanged is compared in a few queries as well.
    again = [import_queries(office, n, year) for n, year in ((5, 2018), (20, 2019))]
    assert again[0] == again[1]
