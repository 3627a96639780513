"""A table imported while 実績報告 takes entries brings the results of sheets whose goals are
approved: approved goals are exactly when results are written. The goals in the file must be the
approved ones; the results are saved and submitted on the departments' behalf (代理入力, channel
取込), and another approver approves them. Nothing else about an approved sheet is written over.
"""

import csv
import io

import pytest

from goals import rules
from goals.models import EventAction, EventChannel, GoalSheet, Phase, Result, ReviewEvent, SheetStatus
from goals.services import fiscal_year_open_next, fiscal_year_set_phase, sheet_approve
from reports.imports.table import TableFileError, import_table
from tests.personas import KUMIN, client_for
from tests.reports.import_helpers import COLUMNS, post_file, seed_csv
from tests.reports.test_authorship_channels import plan_table


@pytest.fixture
def approved_year(seed_year, people):
    """令和3年度 with every department's goals imported (by the first approver) and approved (by
    the second), 目標設定 closed; 実績報告 not open yet."""
    year = fiscal_year_open_next(previous=seed_year)
    import_table(file=plan_table(seed_year, 2021), kind="csv", office=seed_year.office, year=2021, by=people.approver)
    for sheet in year.sheets.all():
        sheet_approve(sheet=sheet, phase=Phase.PLAN, by=people.approver2)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    return year


def with_objective(data: bytes, row: int, objective: str) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    rows[row][COLUMNS.index("目標")] = objective
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_results_come_in_for_approved_goals_while_the_results_phase_takes_them(seed_year, approved_year, people):
    results = seed_csv(seed_year, year=2021)
    office = seed_year.office

    with pytest.raises(TableFileError) as closed:  # 実績報告 not open: nothing is written
        import_table(file=results, kind="csv", office=office, year=2021, by=people.approver)
    assert f"{KUMIN} の実績は取り込めません。実績報告の受付は終了しています。" in str(closed.value)

    fiscal_year_set_phase(fiscal_year=approved_year, phase=Phase.RESULT, is_open=True)
    with pytest.raises(TableFileError) as changed:  # an approved goal is never written over
        import_table(file=with_objective(results, 1, "書き換えた目標"), kind="csv", office=office, year=2021, by=people.approver)
    assert "承認済みのシートがあるため取り込めません。承認済みの目標には実績だけを取り込めます" in str(changed.value)
    assert not Result.objects.filter(goal__sheet__fiscal_year=approved_year).exists()

    client = client_for(people.approver)
    preview = post_file(client, "import_table", results, "2021.csv", at={"year": 2021})
    assert "実績のみ (目標は承認済み)" in preview.content.decode()

    summary = import_table(file=results, kind="csv", office=office, year=2021, by=people.approver)
    assert (summary.sheets_imported, summary.goals_imported) == (17, 0)
    sheets = GoalSheet.objects.filter(fiscal_year=approved_year)
    assert set(sheets.values_list("plan_status", "result_status")) == {(SheetStatus.APPROVED, SheetStatus.SUBMITTED)}
    kumin = sheets.get(department__name=KUMIN)
    assert list(
        kumin.events.filter(phase=Phase.RESULT).order_by("created_at", "pk").values_list("action", "actor", "channel", "on_behalf")
    ) == [
        (EventAction.SAVE, people.approver.pk, EventChannel.IMPORT, True),
        (EventAction.SUBMIT, people.approver.pk, EventChannel.IMPORT, True),
    ]
    assert rules.approve_refusal(kumin, Phase.RESULT, by=people.approver) == rules.OWN_SUBMISSION
    sheet_approve(sheet=kumin, phase=Phase.RESULT, by=people.approver2)

    with pytest.raises(TableFileError) as again:  # results once written are the department's
        import_table(file=with_objective(results, 1, "別の目標"), kind="csv", office=office, year=2021, by=people.approver)
    assert "承認済みのシートがあるため取り込めません" in str(again.value)
    assert ReviewEvent.objects.filter(sheet__fiscal_year=approved_year, phase=Phase.RESULT).count() == 2 * 17 + 1
