"""The editors' pages: home, a sheet, the goals and results forms, the preview and 提出.

Each refused input is checked three ways: the Japanese message is on the page, what the person
typed is still in the form, and the database is exactly as it was.
"""

from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from departments.models import Role
from goals import rules
from goals.models import EventAction, Goal, Phase, RatingLevel, ReviewEvent, SheetStatus
from goals.selectors import sheet_content
from goals.services import (
    GoalInput,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_return,
    sheet_save_plan,
    sheet_submit,
)
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
    ResultFactory,
    UserFactory,
)
from tests.personas import KIKAKU, KUMIN, client_for, member

GOALS = [
    "来庁者を笑顔でお迎えし、用件を丁寧にお聞きします。",
    "電話は3回以内に出て、所属と名前を名乗ります。",
    "窓口の案内表示を分かりやすく改めます。",
]


# --- fixtures and helpers ----------------------------------------------------------------------


def url(name, sheet, **kwargs):
    fy = sheet.fiscal_year
    return reverse(name, kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code, **kwargs})


def plan_data(sheet, goals, *, version=None, action="save", initial=0):
    """The POST of the goals form: goals are dicts with number, objective, actions, categories."""
    data = {
        "version": sheet.version if version is None else version,
        "phase": "plan",
        "action": action,
        "goals-TOTAL_FORMS": len(goals),
        "goals-INITIAL_FORMS": initial,
        "goals-MIN_NUM_FORMS": 0,
        "goals-MAX_NUM_FORMS": 1000,
    }
    for i, goal in enumerate(goals):
        data[f"goals-{i}-number"] = goal.get("number", i + 1)
        data[f"goals-{i}-objective"] = goal.get("objective", "")
        data[f"goals-{i}-actions"] = goal.get("actions", "")
        data[f"goals-{i}-categories"] = [c.pk for c in goal.get("categories", ())]
        if goal.get("delete"):
            data[f"goals-{i}-DELETE"] = "on"
    return data


def three_goals(year):
    tags = list(year.categories.order_by("sort_order", "name")[:2])
    return [
        {"number": 1, "objective": GOALS[0], "actions": "受付で声をかけます。\r\n案内係を置きます。", "categories": tags},
        {"number": 2, "objective": GOALS[1], "categories": tags[1:]},
        {"number": 3, "objective": GOALS[2]},
    ]


def saved(sheet, goals, by):
    """The sheet after a real save through the service (version bumped)."""
    inputs = [GoalInput(number=n, objective=text) for n, text in enumerate(goals, 1)]
    return sheet_save_plan(sheet=sheet, goals=inputs, expected_version=sheet.version, by=by)


def state(sheet):
    sheet.refresh_from_db()
    return sheet.version, sheet.plan_status, sheet.result_status, sheet_content(sheet)


def text(response):
    return response.content.decode()


def assert_refused(response, before, sheet, message, *typed):
    """The page says why, still holds what was typed, and nothing was written."""
    assert response.status_code == 200
    body = text(response)
    assert message in body
    for value in typed:
        assert value in body
    assert state(sheet) == before


# --- home and the sheet page -------------------------------------------------------------------


def test_home_shows_the_year_the_sheets_and_the_next_step(editor, sheet, year):
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=True, deadline=date(2099, 5, 31))
    body = text(client_for(editor).get(reverse("goals:home")))
    assert "令和3年度 (2021年度)" in body
    assert "目標設定" in body and "受付中" in body and "締切 2099年5月31日" in body and "締切まであと" in body
    assert KIKAKU in body and "未着手" in body
    assert "目標を入力する" in body and url("goals:plan_edit", sheet) in body
    assert "全部署の提出状況" not in body and "年度の管理" not in body  # for approvers and viewers


def test_home_tells_a_returned_sheet_what_the_approver_said(editor, approver, sheet, year):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=approver, comment="目標2の表現を具体的にしてください。")
    body = text(client_for(editor).get(reverse("goals:home")))
    assert "差戻しの内容を確認して再提出する" in body
    assert "目標2の表現を具体的にしてください。" in body
    assert "差戻し" in body


def test_home_links_approvers_to_the_dashboard_and_the_years(approver, year):
    body = text(client_for(approver).get(reverse("goals:home")))
    assert reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2021}) in body
    assert reverse("goals:years", kwargs={"office": "nakahara"}) in body


def test_the_approvers_home_counts_what_waits_for_approval_and_what_is_overdue(
    editor, approver, sheet, year, django_assert_max_num_queries
):
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=True, deadline=date(2021, 5, 31))
    sheet_submit(sheet=saved(sheet, GOALS, editor), phase=Phase.PLAN, by=editor)
    client = client_for(approver)
    with django_assert_max_num_queries(20):
        body = text(client.get(reverse("goals:home")))
    assert "承認待ち 1件" in body
    assert url("goals:approve", sheet, phase="plan") in body
    # Every other department of the year is past the 目標設定 deadline and has not submitted.
    others = year.sheets.exclude(pk=sheet.pk).count()
    assert others and f"期限超過 {others}件" in body


def test_the_approvers_home_says_who_else_must_approve_what_they_submitted(approver, year):
    sheet = year.sheets.get(department__name=KUMIN)
    sheet_submit(sheet=saved(sheet, GOALS, approver), phase=Phase.PLAN, by=approver)
    body = text(client_for(approver).get(reverse("goals:home")))
    assert "承認待ち 1件" in body
    assert url("goals:approve", sheet, phase="plan") not in body  # their own submission
    assert rules.OWN_SUBMISSION in body or rules.OWN_CONTENT in body


def test_home_says_when_a_deadline_has_passed(editor, year):
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=True, deadline=date(2021, 5, 31))
    body = text(client_for(editor).get(reverse("goals:home")))
    assert "締切 2021年5月31日" in body and "締切を過ぎています" in body


def test_sheet_page_shows_the_table_the_timeline_and_the_editor_buttons(editor, approver, sheet):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    response = client_for(editor).get(url("goals:sheet", sheet))
    body = text(response)
    assert response.status_code == 200
    assert "令和3年度 (2021年度)" in body and "提出済" in body
    assert 'class="public-table staff-table plan-only"' in body and GOALS[1] in body
    assert "企画 進" in body and "提出" in body  # the timeline
    assert url("goals:plan_edit", sheet) not in body  # submitted: not editable
    assert url("goals:approve", sheet, phase="plan") not in body


def test_sheet_page_offers_approve_and_return_to_approvers_only(editor, approver, sheet):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    body = text(client_for(approver).get(url("goals:sheet", sheet)))
    assert url("goals:approve", sheet, phase="plan") in body
    assert url("goals:return", sheet, phase="plan") in body


def test_a_returned_sheet_shows_the_comment_and_offers_resubmission(editor, approver, sheet):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=approver, comment="目標3を具体的に。")
    body = text(client_for(editor).get(url("goals:sheet", sheet)))
    assert "目標3を具体的に。" in body and "目標を再提出" in body
    assert url("goals:plan_edit", sheet) in body
    assert url("goals:changes", sheet, phase="plan") in body


def test_sheet_page_offers_edit_and_submit_on_a_draft(editor, sheet):
    sheet = saved(sheet, GOALS, editor)
    body = text(client_for(editor).get(url("goals:sheet", sheet)))
    assert url("goals:plan_edit", sheet) in body
    assert url("goals:submit", sheet, phase="plan") in body


# --- saving goals ------------------------------------------------------------------------------


def test_editor_saves_three_goals_as_a_draft(editor, sheet, year):
    client = client_for(editor)
    assert client.get(url("goals:plan_edit", sheet)).status_code == 200
    response = client.post(url("goals:plan_edit", sheet), plan_data(sheet, three_goals(year)))
    assert response.status_code == 302 and response["Location"] == url("goals:sheet", sheet)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.DRAFT and sheet.version == 2
    goals = list(sheet.goals.order_by("number"))
    assert [g.objective for g in goals] == GOALS
    assert goals[0].actions == "受付で声をかけます。\n案内係を置きます。"  # \r\n stored as \n
    assert [c.name for c in goals[1].categories.all()] == [three_goals(year)[1]["categories"][0].name]
    history = Goal.history.filter(sheet_id=sheet.pk)
    assert {h.number for h in history} == {1, 2, 3} and {h.history_user for h in history} == {editor}
    assert "下書きを保存しました" in text(client.get(url("goals:sheet", sheet)))


def test_editor_edits_deletes_and_reorders_saved_goals(editor, sheet, year):
    sheet = saved(sheet, GOALS, editor)
    goals = [
        {"number": 2, "objective": GOALS[0]},
        {"number": 1, "objective": GOALS[1] + "(改)"},
        {"number": 3, "objective": GOALS[2], "delete": True},
    ]
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, goals, initial=3))
    assert response.status_code == 302
    assert [(g.number, g.objective) for g in sheet.goals.order_by("number")] == [(1, GOALS[1] + "(改)"), (2, GOALS[0])]


def test_tags_keep_the_goals_order_when_the_form_is_saved_again(editor, sheet, year):
    common, phone, face = (year.categories.get(name=name) for name in ("共通", "電話", "対面対応"))
    assert common.sort_order < face.sort_order < phone.sort_order  # the office's order
    goal = {"number": 1, "objective": GOALS[0]}
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(categories=(phone, common), **goal)], expected_version=sheet.version, by=editor
    )
    client = client_for(editor)

    # Checkboxes come back in the page's order; a newly ticked tag goes after the goal's own.
    client.post(url("goals:plan_edit", sheet), plan_data(sheet, [{**goal, "categories": [common, face, phone]}], initial=1))
    stored = Goal.objects.get(sheet=sheet, number=1)
    assert [c.name for c in stored.ordered_categories()] == ["電話", "共通", "対面対応"]
    page = text(client.get(url("goals:sheet", sheet)))
    assert '<span class="category">電話</span><span class="category">共通</span><span class="category">対面対応</span>' in page

    sheet.refresh_from_db()
    client.post(url("goals:plan_edit", sheet), plan_data(sheet, [{**goal, "categories": [face, common]}], initial=1))
    assert [c.name for c in stored.ordered_categories()] == ["共通", "対面対応"]


def test_save_and_submit_sends_the_sheet_to_the_approvers(
    editor, approver, sheet, year, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, three_goals(year), action="submit"))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED
    assert ReviewEvent.objects.filter(sheet=sheet, action=EventAction.SUBMIT, actor=editor).count() == 1
    assert any("shonin@example.jp" in message.to for message in mail.outbox)


def test_a_text_of_exactly_the_limit_counts_line_breaks_and_emoji_as_one(editor, sheet):
    objective = "あ" * 200 + "\r\n" + "い" * 198 + "😀"  # 400 characters as stored
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": objective}]))
    assert response.status_code == 302
    assert len(sheet.goals.get().objective) == 400


@pytest.mark.parametrize(
    "goals, message",
    [
        ([{"objective": "", "actions": "取組だけ書いた"}], "目標を入力してください。"),
        ([{"objective": "あ" * 512}], "400文字以内で入力してください (現在 512 文字)"),
        ([{"objective": "窓口", "actions": "い" * 601}], "600文字以内で入力してください (現在 601 文字)"),
        ([{"number": 1, "objective": "一つ目"}, {"number": 1, "objective": "二つ目"}], "目標番号 1 が重複しています"),
        ([{"number": n, "objective": f"目標その{n}"} for n in (1, 2, 3, 1)], "目標は3件までです (現在 4 件)"),
        ([{"objective": "案内\x07表示を改めます"}], "制御文字"),
    ],
    ids=["empty-objective", "too-long", "too-long-actions", "duplicate-numbers", "too-many", "control-character"],
)
def test_bad_goals_are_refused_with_the_typed_text_kept(editor, sheet, goals, message):
    before = state(sheet)
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, goals))
    typed = [g["objective"].replace("\x07", "") for g in goals if g["objective"]] + [g.get("actions", "") for g in goals]
    assert_refused(response, before, sheet, message, *[t for t in typed if t])
    assert 'role="alert"' in text(response)
    assert 'aria-invalid="true"' in text(response) or "目標は3件まで" in message


def test_clearing_a_saved_goals_objective_is_refused(editor, sheet):
    sheet = saved(sheet, GOALS, editor)
    before = state(sheet)
    goals = [{"number": 1, "objective": ""}, {"number": 2, "objective": GOALS[1] + "追記"}, {"number": 3, "objective": GOALS[2]}]
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, goals, initial=3))
    assert_refused(response, before, sheet, "目標を入力してください。", GOALS[1] + "追記")
    assert 'href="#id_goals-0-objective"' in text(response)  # the summary links to the field


def test_a_tag_of_another_office_is_refused(editor, sheet):
    stranger = CategoryFactory(office=OfficeFactory(), name="よその区分")
    before = state(sheet)
    response = client_for(editor).post(
        url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "窓口を改善します", "categories": [stranger]}])
    )
    assert_refused(response, before, sheet, "この年度で使えない区分が選ばれています", "窓口を改善します")


def test_a_tag_of_the_office_not_used_this_year_is_refused(editor, sheet, year):
    unused = CategoryFactory(office=year.office, name="今年は使わない区分")
    before = state(sheet)
    response = client_for(editor).post(
        url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "窓口を改善します", "categories": [unused]}])
    )
    assert_refused(response, before, sheet, "この年度で使えない区分が選ばれています", "窓口を改善します")
    assert "今年は使わない区分" not in text(response)  # not even offered


def test_another_departments_editor_gets_404(sheet, year):
    outsider = member(KUMIN)
    before = state(sheet)
    response = client_for(outsider).post(url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "横取り"}]))
    assert response.status_code == 404
    assert client_for(outsider).get(url("goals:sheet", sheet)).status_code == 404
    assert state(sheet) == before


def test_a_viewer_may_read_but_not_write(sheet, year):
    viewer = member(KIKAKU, Role.VIEWER)
    before = state(sheet)
    client = client_for(viewer)
    assert client.get(url("goals:sheet", sheet)).status_code == 200
    assert client.post(url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "閲覧者"}])).status_code == 403
    assert client.post(url("goals:submit", sheet, phase="plan"), {"version": sheet.version}).status_code == 403
    assert state(sheet) == before


def test_anonymous_is_sent_to_login(sheet):
    response = Client().get(url("goals:plan_edit", sheet))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_save_after_the_plan_phase_closed_is_refused(editor, sheet, year):
    sheet = saved(sheet, GOALS, editor)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    before = state(sheet)
    client = client_for(editor)
    response = client.post(url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "締切後の修正"}], initial=0))
    assert_refused(response, before, sheet, "目標設定の受付は終了しています。", "締切後の修正")
    get = client.get(url("goals:plan_edit", sheet))
    assert get.status_code == 302 and get["Location"] == url("goals:sheet", sheet)


@pytest.mark.parametrize("approved, label", [(False, "提出済"), (True, "承認済")])
def test_a_save_after_submission_or_approval_is_refused(editor, approver, sheet, approved, label):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    if approved:
        sheet_approve(sheet=sheet, phase=Phase.PLAN, by=approver)
    before = state(sheet)
    goals = [{"number": 1, "objective": "提出後の書き換え"}]
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, goals, initial=0))
    assert_refused(response, before, sheet, f"「{label}」のため編集できません", "提出後の書き換え")


def test_a_stale_save_keeps_the_typed_text_and_shows_the_other_persons(editor, sheet, year):
    colleague = member(KIKAKU, last_name="同僚", first_name="花子")
    opened_at = sheet.version
    first = client_for(colleague).post(
        url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "同僚が先に保存した目標"}], version=opened_at)
    )
    assert first.status_code == 302
    before = state(sheet)
    second = client_for(editor).post(
        url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "自分が入力していた目標"}], version=opened_at)
    )
    assert_refused(second, before, sheet, "他の人が更新しました", "自分が入力していた目標", "同僚が先に保存した目標")
    body = text(second)
    assert "同僚 花子" in body
    assert "最新の内容を読み込み直す" in body
    # Having seen the colleague's version, the person saves deliberately and it goes through.
    sheet.refresh_from_db()
    assert f'name="version" value="{sheet.version}"' in body
    third = client_for(editor).post(
        url("goals:plan_edit", sheet), plan_data(sheet, [{"objective": "自分が入力していた目標"}], version=sheet.version)
    )
    assert third.status_code == 302
    assert sheet_content(sheet)["goals"][0]["objective"] == "自分が入力していた目標"


def test_a_missing_version_is_refused(editor, sheet):
    before = state(sheet)
    data = plan_data(sheet, [{"objective": "版なし"}])
    del data["version"]
    response = client_for(editor).post(url("goals:plan_edit", sheet), data)
    assert_refused(response, before, sheet, "ページを読み込み直してください", "版なし")


# --- 提出 ---------------------------------------------------------------------------------------


def test_submit_asks_first_then_submits(editor, sheet):
    sheet = saved(sheet, GOALS, editor)
    client = client_for(editor)
    page = client.get(url("goals:submit", sheet, phase="plan"))
    assert "総務課に提出します。提出後は承認または差戻しまで編集できません。" in text(page)
    assert f'name="version" value="{sheet.version}"' in text(page)
    response = client.post(url("goals:submit", sheet, phase="plan"), {"version": sheet.version}, follow=True)
    assert "提出しました" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


def test_a_double_clicked_submit_submits_once(editor, sheet):
    sheet = saved(sheet, GOALS, editor)
    client = client_for(editor)
    data = {"version": sheet.version}
    client.post(url("goals:submit", sheet, phase="plan"), data)
    second = client.post(url("goals:submit", sheet, phase="plan"), data, follow=True)
    assert "このシートは既に提出されています" in text(second)
    assert ReviewEvent.objects.filter(sheet=sheet, action=EventAction.SUBMIT).count() == 1


def test_an_empty_sheet_cannot_be_submitted(editor, sheet):
    response = client_for(editor).post(url("goals:submit", sheet, phase="plan"), {"version": sheet.version}, follow=True)
    assert "提出できません" in text(response)
    assert not ReviewEvent.objects.filter(sheet=sheet).exists()


# --- results -----------------------------------------------------------------------------------


@pytest.fixture
def result_sheet(editor, approver, sheet, year):
    """The plan approved, the plan phase closed and the result phase open, with a rating scale."""
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=approver)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True)
    for order, label in enumerate(["達成", "概ね達成", "未達成"], 1):
        RatingLevel.objects.create(fiscal_year=year, order=order, label=label)
    sheet.refresh_from_db()
    return sheet


def result_data(sheet, results, *, action="save", version=None):
    data = {
        "version": sheet.version if version is None else version,
        "phase": "result",
        "action": action,
        "results-TOTAL_FORMS": len(results),
        "results-INITIAL_FORMS": len(results),
        "results-MIN_NUM_FORMS": 0,
        "results-MAX_NUM_FORMS": 1000,
    }
    for i, result in enumerate(results):
        for name in ("done", "achievement", "omitted_reason"):
            data[f"results-{i}-{name}"] = result.get(name, "")
        if result.get("rating"):
            data[f"results-{i}-rating"] = result["rating"].pk
        if result.get("omit"):
            data[f"results-{i}-is_omitted"] = "on"
    return data


def test_results_page_shows_each_goal_and_saves_results(editor, result_sheet, year):
    client = client_for(editor)
    page = client.get(url("goals:results_edit", result_sheet))
    assert page.status_code == 200 and GOALS[0] in text(page) and "達成度評価" in text(page)
    achieved = year.rating_levels.get(label="達成")
    results = [
        {"done": "笑顔で対応しました。", "achievement": "来庁者アンケートで好評でした。", "rating": achieved},
        {"done": "電話応対を研修しました。"},
        {"omit": True, "omitted_reason": "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします", "done": "捨てられる"},
    ]
    response = client.post(url("goals:results_edit", result_sheet), result_data(result_sheet, results))
    assert response.status_code == 302
    result_sheet.refresh_from_db()
    assert result_sheet.result_status == SheetStatus.DRAFT
    content = sheet_content(result_sheet)["goals"]
    assert content[0]["result"]["rating"] == "達成"
    assert content[1]["result"]["done"] == "電話応対を研修しました。"
    assert content[2]["result"]["is_omitted"] and content[2]["result"]["done"] == ""


def test_omitting_a_result_needs_a_reason(editor, result_sheet):
    before = state(result_sheet)
    results = [{"done": "実施しました。"}, {"done": "実施しました。"}, {"omit": True, "done": "省略するつもりの下書き"}]
    response = client_for(editor).post(url("goals:results_edit", result_sheet), result_data(result_sheet, results))
    assert_refused(response, before, result_sheet, "省略の理由を入力してください", "省略するつもりの下書き")


def test_an_over_long_result_is_refused(editor, result_sheet):
    before = state(result_sheet)
    results = [{"done": "あ" * 801}, {"done": "実施しました。"}, {"done": "実施しました。"}]
    response = client_for(editor).post(url("goals:results_edit", result_sheet), result_data(result_sheet, results))
    assert_refused(response, before, result_sheet, "800文字以内で入力してください (現在 801 文字)", "あ" * 801)


def test_a_rating_of_another_year_is_refused(editor, result_sheet, seed_year):
    other = RatingLevel.objects.create(fiscal_year=seed_year, order=1, label="よその評価")
    before = state(result_sheet)
    results = [{"done": "実施しました。", "rating": other}, {"done": "実施"}, {"done": "実施"}]
    response = client_for(editor).post(url("goals:results_edit", result_sheet), result_data(result_sheet, results))
    assert_refused(response, before, result_sheet, "この年度で使えない達成度評価", "実施しました。")


def test_results_save_and_submit(editor, result_sheet):
    results = [{"done": "実施しました。"}, {"done": "実施しました。"}, {"omit": True, "omitted_reason": "※総括を省略とします"}]
    response = client_for(editor).post(
        url("goals:results_edit", result_sheet), result_data(result_sheet, results, action="submit")
    )
    assert response.status_code == 302
    result_sheet.refresh_from_db()
    assert result_sheet.result_status == SheetStatus.SUBMITTED
    assert ReviewEvent.objects.filter(sheet=result_sheet, phase=Phase.RESULT, action=EventAction.SUBMIT).count() == 1


def test_results_are_refused_before_the_plan_is_approved(editor, sheet, year):
    sheet = saved(sheet, GOALS, editor)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True)
    before = state(sheet)
    client = client_for(editor)
    get = client.get(url("goals:results_edit", sheet), follow=True)
    assert "目標が承認されるまで、実績は入力できません。" in text(get)
    response = client.post(url("goals:results_edit", sheet), result_data(sheet, [{"done": "先走った実績"}]))
    assert_refused(response, before, sheet, "目標が承認されるまで、実績は入力できません。", "先走った実績")


# --- preview -----------------------------------------------------------------------------------


def test_preview_renders_the_typed_goals_as_escaped_table_rows(editor, sheet):
    before = state(sheet)
    goals = [{"number": 1, "objective": "<script>alert(1)</script>\n二段落目"}]
    response = client_for(editor).post(url("goals:preview", sheet), plan_data(sheet, goals))
    body = text(response)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body
    assert '<tbody class="department"' in body and "<p>二段落目</p>" in body
    assert state(sheet) == before


def test_preview_of_results_uses_the_saved_goals(editor, result_sheet):
    results = [{"done": "<b>太字</b>にはならない"}, {}, {"omit": True, "omitted_reason": "※省略"}]
    body = text(client_for(editor).post(url("goals:preview", result_sheet), result_data(result_sheet, results)))
    assert GOALS[0] in body and "&lt;b&gt;太字&lt;/b&gt;にはならない" in body
    assert '<p class="omitted">※省略</p>' in body


def test_preview_only_takes_post(editor, sheet):
    assert client_for(editor).get(url("goals:preview", sheet)).status_code == 405


# --- query budgets -----------------------------------------------------------------------------


def _office_with_sheets(count, goals_per_sheet):
    """An editor of `count` departments of a small office, each sheet with goals, tags, results and events."""
    office = OfficeFactory()
    fiscal_year = FiscalYearFactory(office=office, year=2021, max_goals=10)
    tag = CategoryFactory(office=office)
    fiscal_year.categories.add(tag)
    person = UserFactory()
    sheets = []
    for _ in range(count):
        sheet = GoalSheetFactory(fiscal_year=fiscal_year, department=DepartmentFactory(office=office))
        MembershipFactory(user=person, department=sheet.department)
        for number in range(1, goals_per_sheet + 1):
            goal = Goal.objects.create(sheet=sheet, number=number, objective=f"目標{number}")
            goal.categories.add(tag)
            ResultFactory(goal=goal)
        for action in (EventAction.SUBMIT, EventAction.RETURN):
            ReviewEvent.objects.create(sheet=sheet, phase=Phase.PLAN, action=action, actor=person, comment="直してください")
        sheet.plan_status = SheetStatus.RETURNED
        sheet.save()
        sheets.append(sheet)
    return person, sheets


@pytest.mark.parametrize("count", [1, 6])
def test_home_runs_a_constant_number_of_queries(db, count, django_assert_num_queries):
    person, _ = _office_with_sheets(count, goals_per_sheet=2)
    client = client_for(person)
    # session, user, memberships, years, sheets, their 差戻し events, recent events, and the
    # session saved again (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(10):
        response = client.get(reverse("goals:home"))
    assert response.status_code == 200
    assert text(response).count("差戻しの内容を確認して再提出する") == count


@pytest.mark.parametrize("goals", [1, 8])
def test_sheet_page_runs_a_constant_number_of_queries(db, goals, django_assert_num_queries):
    person, sheets = _office_with_sheets(1, goals_per_sheet=goals)
    client = client_for(person)
    # session, user, office, department, memberships, sheet, goals, tags, events, and the
    # session saved again (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(12):
        response = client.get(url("goals:sheet", sheets[0]))
    assert response.status_code == 200
    assert text(response).count('class="goal"') == goals
