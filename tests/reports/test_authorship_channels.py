"""Nobody approves content they wrote, whatever the channel (DESIGN §1): an approver who uploads a
department's Excel entry workbook, or imports a table into a year being worked on, is recorded as
its author on the timeline and cannot approve it; another approver does.
(The goals form: tests/goals/test_separation_of_duties.py.)"""

import csv
import html
import io
import re

import pytest
from django.urls import reverse

from goals import rules
from goals.models import EventAction, EventChannel, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.services import fiscal_year_open_next, sheet_return, sheet_submit
from goals.wareki import fiscal_year_label
from reports.exporters import EXPORTERS
from reports.imports.table import import_table
from reports.models import PublicationKind
from reports.table import build_table
from tests.personas import KUMIN, client_for
from tests.reports.entry_helpers import confirm, download, fill, upload
from tests.reports.import_helpers import YEAR, YEAR_LABEL, post_file


@pytest.fixture
def plan_year(seed_year):
    """令和3年度, open for planning: 17 empty sheets."""
    return fiscal_year_open_next(previous=seed_year)


@pytest.fixture
def kumin(plan_year):
    return plan_year.sheets.get(department__name=KUMIN)


def sheet_url(name, sheet, **kwargs):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, **kwargs})


def text(response):
    return html.unescape(response.content.decode())


def name(user):
    return f"{user.last_name} {user.first_name}"


def assert_refused_approval(client, sheet, refusal):
    """Not offered on the sheet page, said on the confirm page, refused on POST."""
    approve = sheet_url("goals:approve", sheet, phase="plan")
    page = text(client.get(sheet_url("goals:sheet", sheet)))
    assert f'href="{approve}"' not in page and refusal in page
    assert f"承認できません:</strong> {refusal}" in text(client.get(approve))
    sheet.refresh_from_db()
    assert refusal in text(client.post(approve, {"version": sheet.version}))
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def approve_on_the_page(client, sheet):
    sheet.refresh_from_db()
    response = client.post(sheet_url("goals:approve", sheet, phase="plan"), {"version": sheet.version})
    assert response.status_code == 302, text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED


# --- Excel entry workbook ------------------------------------------------------------------------


def test_an_approver_who_uploaded_a_departments_workbook_cannot_approve_it(kumin, people):
    approver = client_for(people.approver)
    filled = fill(download(approver, kumin), {0: {"目標": "窓口の案内表示を大きくします。"}})
    preview = upload(approver, kumin, filled)
    assert preview.status_code == 200, text(preview)
    assert confirm(approver, kumin, preview).status_code == 302
    kumin.refresh_from_db()
    editor = client_for(people.kumin_editor)
    assert editor.post(sheet_url("goals:submit", kumin, phase="plan"), {"version": kumin.version}).status_code == 302

    assert_refused_approval(approver, kumin, rules.OWN_CONTENT)

    # The timeline says who wrote it and how, not only "提出 / 承認": 総務課 wrote it for 区民課.
    timeline = text(client_for(people.approver2).get(sheet_url("goals:sheet", kumin)))
    assert re.search(rf'保存 \(Excel\)</strong>\s*<span class="timeline-actor">代理入力: {name(people.approver)}</span>', timeline)
    assert re.search(rf'提出</strong>\s*<span class="timeline-actor">{name(people.kumin_editor)}</span>', timeline)
    save = ReviewEvent.objects.get(sheet=kumin, action=EventAction.SAVE)
    assert (save.actor, save.channel, save.phase) == (people.approver, EventChannel.WORKBOOK, Phase.PLAN)

    approve_on_the_page(client_for(people.approver2), kumin)


# --- Table import into a year being worked on --------------------------------------------------


def plan_table(seed_year, year) -> bytes:
    """The seed's goals-only CSV export, relabelled as another year's."""
    data = EXPORTERS["csv"].render(build_table(seed_year, PublicationKind.PLAN))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows[1:]:
        row[YEAR], row[YEAR_LABEL] = str(year), fiscal_year_label(year)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_a_table_imported_into_an_open_year_is_submitted_for_another_approver(seed_year, plan_year, kumin, people):
    import_table(file=plan_table(seed_year, 2021), kind="csv", office=seed_year.office, year=2021, by=people.approver)

    sheets = GoalSheet.objects.filter(fiscal_year=plan_year)
    assert set(sheets.values_list("plan_status", "result_status")) == {(SheetStatus.SUBMITTED, SheetStatus.NOT_STARTED)}
    events = list(kumin.events.order_by("created_at", "pk").values_list("action", "actor", "channel"))
    assert events == [
        (EventAction.SAVE, people.approver.pk, EventChannel.IMPORT),
        (EventAction.SUBMIT, people.approver.pk, EventChannel.IMPORT),
    ]
    timeline = text(client_for(people.approver2).get(sheet_url("goals:sheet", kumin)))
    assert re.search(rf'保存 \(取込\)</strong>\s*<span class="timeline-actor">代理入力: {name(people.approver)}</span>', timeline)
    assert_refused_approval(client_for(people.approver), kumin, rules.OWN_SUBMISSION)

    # Sent back and submitted again by the department unchanged: still the importer's content.
    sheet_return(sheet=kumin, phase=Phase.PLAN, by=people.approver2, comment="部署で確認してください。")
    sheet_submit(sheet=kumin, phase=Phase.PLAN, by=people.kumin_editor)
    assert_refused_approval(client_for(people.approver), kumin, rules.OWN_CONTENT)
    approve_on_the_page(client_for(people.approver2), kumin)


def test_a_past_year_brought_in_from_its_table_stays_approved(seed_year, people):
    import_table(file=plan_table(seed_year, 2019), kind="csv", office=seed_year.office, year=2019, by=people.approver)

    sheets = GoalSheet.objects.filter(fiscal_year__office=seed_year.office, fiscal_year__year=2019)
    assert set(sheets.values_list("plan_status", flat=True)) == {SheetStatus.APPROVED}
    assert set(ReviewEvent.objects.filter(sheet__in=sheets).values_list("action", "channel")) == {
        (EventAction.IMPORT, EventChannel.IMPORT)
    }


def test_the_import_page_says_an_open_year_gets_submitted_sheets(seed_year, plan_year, people):
    client = client_for(people.approver)
    preview = post_file(client, "import_table", plan_table(seed_year, 2021), "2021.csv", at={"year": 2021})
    assert preview.status_code == 200
    page = text(preview)
    assert "部署に代わって提出します" in page and "別の承認者が承認します" in page
    assert "承認済みの目標シートとして取り込みます" not in page
