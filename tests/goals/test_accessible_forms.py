"""What the staff forms tell a person who cannot see the page whole (JIS X 8341-3 AA):

- after a failed submission, an error summary to move focus to (templates/_error_summary.html:
  static/js/error-summary.js focuses it; tests/browser/test_site_walk.py checks that in a browser),
  each line linking to its field, and a <title> that begins 「エラー: 」;
- the years page shown again after a phase form that did not go through: its year's section
  open, the choice and the date as sent;
- required fields said in the markup, not only by 「*」, without blank new goals becoming required;
- where each change of a diff starts and ends, in words;
- the live preview updating silently, one landmark per name.
"""

import re

import pytest
from django.urls import reverse

from goals.models import FiscalYear, Goal, SheetStatus
from goals.services import GoalInput, sheet_approve, sheet_return, sheet_save_plan, sheet_submit
from tests.personas import KUMIN, client_for

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div (?=[^>]*\bid="error-summary")(?=[^>]*\btabindex="-1")(?=[^>]*\bdata-error-summary\b)[^>]*>')


def sheet_url(name, sheet, **extra):
    fiscal_year = sheet.fiscal_year
    kwargs = {"office": "nakahara", "year": fiscal_year.year, "code": sheet.department.code, **extra}
    return reverse(name, kwargs=kwargs)


def phase_url(year, phase):
    return reverse("goals:phase", kwargs={"office": "nakahara", "year": year, "phase": phase})


def page(response):
    return response.content.decode()


def title(body):
    return re.search(r"<title>(.*?)</title>", body, re.S).group(1)


def summary_links(body):
    """The (href, text) of each line of the error summary."""
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)


def plan_post(sheet, goals, initial=0):
    data = {
        "version": sheet.version,
        "phase": "plan",
        "action": "save",
        "goals-TOTAL_FORMS": len(goals),
        "goals-INITIAL_FORMS": initial,
        "goals-MIN_NUM_FORMS": 0,
        "goals-MAX_NUM_FORMS": 1000,
    }
    for i, (objective, actions) in enumerate(goals):
        data |= {f"goals-{i}-number": i + 1, f"goals-{i}-objective": objective, f"goals-{i}-actions": actions}
    return data


def submitted(year, name, by):
    sheet = year.sheets.get(department__name=name)
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective="窓口での案内を分かりやすくします。")],
        expected_version=sheet.version, by=by,
    )
    sheet_submit(sheet=sheet, phase="plan", by=by)
    sheet.refresh_from_db()
    return sheet


# --- The goals form ----------------------------------------------------------------------------------


def test_a_failed_save_of_the_goals_opens_with_a_summary_linking_to_the_field(editor, sheet):
    typed = "課内会議で各担当の業務を共有します。"

    response = client_for(editor).post(sheet_url("goals:plan_edit", sheet), plan_post(sheet, [("", typed)]))

    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("エラー: 目標の入力 — ")
    assert SUMMARY.search(body)
    assert summary_links(body) == [("id_goals-0-objective", "目標 1 — 目標: 目標を入力してください。")]
    assert 'id="id_goals-0-objective"' in body and f"{typed}</textarea>" in body
    assert not Goal.objects.filter(sheet=sheet).exists()


def test_a_saved_goal_is_required_a_new_one_only_aria_required_and_blank_new_ones_still_save(editor, sheet):
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective="電話は3回以内に出ます。")],
        expected_version=sheet.version, by=editor,
    )
    client = client_for(editor)

    body = page(client.get(sheet_url("goals:plan_edit", sheet)))

    saved = re.search(r'<textarea name="goals-0-objective"[^>]*>', body).group(0)
    new = re.search(r'<textarea name="goals-1-objective"[^>]*>', body).group(0)
    assert " required" in saved and 'aria-required="true"' not in saved
    assert " required" not in new and 'aria-required="true"' in new
    # The blank new forms of the page are left out, as before.
    response = client.post(
        sheet_url("goals:plan_edit", sheet), plan_post(sheet, [("電話は3回以内に出ます。", ""), ("", "")], initial=1)
    )
    assert response.status_code == 302
    assert list(sheet.goals.values_list("objective", flat=True)) == ["電話は3回以内に出ます。"]


def test_the_preview_updates_silently_and_names_one_landmark(editor, sheet):
    body = page(client_for(editor).get(sheet_url("goals:plan_edit", sheet)))
    preview = re.search(r'<div class="table-scroll preview-region" id="preview"[^>]*>', body).group(0)
    assert "aria-live" not in preview and 'role="region" aria-labelledby="preview-heading"' in preview
    assert body.count('aria-labelledby="preview-heading"') == 1


# --- 差戻し and 承認取消 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "field", "message"),
    [
        ("goals:return", "comment", "差戻しの理由を入力してください。"),
        ("goals:reopen", "reason", "承認を取り消す理由を入力してください。"),
    ],
)
def test_an_empty_reason_opens_with_a_summary_linking_to_it(year, people, step, field, message):
    sheet = submitted(year, KUMIN, people.kumin_editor)
    if step == "goals:reopen":
        sheet_approve(sheet=sheet, phase="plan", by=people.approver)
        sheet.refresh_from_db()

    response = client_for(people.approver).post(
        sheet_url(step, sheet, phase="plan"), {field: "  ", "version": sheet.version}
    )

    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("エラー: ")
    assert SUMMARY.search(body) and ">入力内容を確認してください</h2>" in body
    assert [(href, text.split(": ", 1)[1]) for href, text in summary_links(body)] == [(f"id_{field}", message)]
    sheet.refresh_from_db()
    assert sheet.plan_status == (SheetStatus.SUBMITTED if step == "goals:return" else SheetStatus.APPROVED)


def test_a_refused_return_says_why_in_the_summary(year, people):
    sheet = submitted(year, KUMIN, people.kumin_editor)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver2)
    sheet.refresh_from_db()  # the page shows the approved sheet: the version is current

    response = client_for(people.approver).post(
        sheet_url("goals:return", sheet, phase="plan"), {"comment": "目標1を具体的に。", "version": sheet.version}
    )

    body = page(response)
    assert title(body).startswith("エラー: ") and ">差戻しできませんでした</h2>" in body
    assert summary_links(body) == [("action-heading", "提出されていないシートは差し戻せません。")]
    assert "目標1を具体的に。</textarea>" in body


# --- Fiscal years ------------------------------------------------------------------------------------


def test_a_phase_opened_without_a_deadline_shows_the_years_page_with_its_section_open(seed_year, year, people):
    """2020's section is closed on the page (the newest year's is open): the refused form opens it."""
    response = client_for(people.approver).post(phase_url(2020, "plan"), {"state": "open", "deadline": ""})

    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("エラー: 年度の管理")
    assert summary_links(body) == [
        ("id_2020_plan_deadline", "令和2年度 目標設定 — 締切日: 受付を開始するときは締切日を入力してください。")
    ]
    assert re.search(r'<details class="year-phases mb-3" id="year-2020" open>', body)
    assert re.search(r'<input type="radio"[^>]*value="open"[^>]*id="id_2020_plan_state_0"[^>]*checked', body)
    assert 'id="id_2020_plan_deadline"' in body and 'aria-invalid="true"' in body
    seed_year.refresh_from_db()
    assert not seed_year.plan_open


def test_a_refused_phase_says_why_beside_the_form(year, people):
    response = client_for(people.approver).post(
        phase_url(2021, "result"), {"state": "open", "deadline": "2022-04-30"}
    )
    body = page(response)
    assert summary_links(body) == [
        ("phase-2021-result", "令和3年度 実績報告: 目標設定の受付を終了してから、実績報告を開始してください。")
    ]
    assert 'id="phase-2021-result"' in body and 'value="2022-04-30"' in body
    assert not FiscalYear.objects.get(pk=year.pk).result_open


def test_the_next_year_form_with_a_wrong_date_opens_with_a_summary(year, people):
    response = client_for(people.approver).post(
        reverse("goals:years", kwargs={"office": "nakahara"}), {"plan_deadline": "2022-02-30"}
    )
    body = page(response)
    assert response.status_code == 200 and title(body).startswith("エラー: ")
    assert [href for href, _ in summary_links(body)] == ["id_plan_deadline"]
    assert not FiscalYear.objects.filter(year=2022).exists()


# --- Diffs -------------------------------------------------------------------------------------------


def test_each_change_says_where_it_starts_and_ends(year, people):
    sheet = submitted(year, KUMIN, people.kumin_editor)
    sheet_return(sheet=sheet, phase="plan", by=people.approver, comment="具体的に")
    sheet.refresh_from_db()
    sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective="窓口での案内を15分以内に分かりやすくします。")],
        expected_version=sheet.version, by=people.kumin_editor,
    )

    body = page(client_for(people.approver).get(sheet_url("goals:changes", sheet, phase="plan")))

    assert (
        '<ins><span class="visually-hidden">追加ここから、</span>15分以内に'
        '<span class="visually-hidden">、追加ここまで</span></ins>'
    ) in body
