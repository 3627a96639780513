"""The writing aid on the staff pages: the goals and results forms (after a save without
JavaScript, and the live endpoint), the dashboard's readability column, the 差戻し page's
sentences to quote, and the entry-workbook preview. Hints never block a save."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import Phase, SheetStatus
from goals.services import GoalInput, sheet_approve, sheet_save_plan, sheet_submit
from goals.views.writing import MAX_HINTS_BODY
from plain.analysis import MAX_ANALYSED
from plain.services import glossary_add_standard
from tests.personas import client_for
from tests.reports.entry_helpers import download, fill, upload

HARD = (
    "区役所サービス基準を遵守し、来庁者のニーズを的確に把握するとともに、窓口において各担当が"
    "不在にしている場合でも最低限の対応ができるよう知識の習熟と情報共有に努めます。"
)
PLAIN = "来た人の話をよく聞きます。わからないことは、やさしい言葉で説明します。"


@pytest.fixture
def glossary(nakahara):
    glossary_add_standard(office=nakahara)


def url(name, sheet, **kwargs):
    fiscal_year = sheet.fiscal_year
    kwargs = {"office": fiscal_year.office.slug, "year": fiscal_year.year, "code": sheet.department.code, **kwargs}
    return reverse(name, kwargs=kwargs)


def plan_data(sheet, goals, *, action="save", version=None):
    """The goals form's POST: goals are (objective, actions) in number order."""
    data = {
        "version": sheet.version if version is None else version,
        "phase": "plan",
        "action": action,
        "goals-TOTAL_FORMS": len(goals),
        "goals-INITIAL_FORMS": 0,
        "goals-MIN_NUM_FORMS": 0,
        "goals-MAX_NUM_FORMS": 1000,
    }
    for i, (objective, actions) in enumerate(goals):
        data |= {f"goals-{i}-number": i + 1, f"goals-{i}-objective": objective, f"goals-{i}-actions": actions}
    return data


def text(response):
    return response.content.decode()


def hints_section(body):
    start = body.index('id="writing-aid"')
    return body[start : body.index("</section>", start)]


# --- The goals form without JavaScript --------------------------------------------------------


def test_a_save_is_never_blocked_and_the_form_page_shows_the_saved_texts_hints(editor, sheet, glossary):
    client = client_for(editor)
    response = client.post(url("goals:plan_edit", sheet), plan_data(sheet, [(HARD, "ミーティングを行います。"), (PLAIN, "")]))
    assert response.status_code == 302 and response["Location"] == url("goals:sheet", sheet)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.DRAFT and sheet.goals.count() == 2  # saved as typed
    page = text(client.get(url("goals:sheet", sheet)))
    assert "下書きを保存しました。" in page and "やさしい日本語のヒントが8件あります。" in page

    section = hints_section(text(client.get(url("goals:plan_edit", sheet))))
    assert '<h2 class="h4" id="writing-aid-heading">やさしい日本語のヒント</h2>' in section
    # A heading per field, linking to its textarea; the level in words; the hints as a list.
    assert '<a href="#id_goals-0-objective">目標 1 — 目標</a>' in section
    assert '<a href="#id_goals-0-actions">目標 1 — 具体的な取組内容</a>' in section
    assert "読みやすさ: <strong class=\"level-word\">難しい</strong>" in section
    assert "「遵守」は「守る」など、やさしい言葉に言い換えられます。" in section
    assert "カタカナ語「ニーズ」" in section and "カタカナ語「ミーティング」" in section
    assert "一文が83文字あります" in section
    assert "読みやすさ: <strong class=\"level-word\">やさしい</strong>" in section
    assert "aria-live" not in section  # quiet: nothing is read out while typing


def test_a_form_shown_again_after_an_error_has_the_hints_of_what_was_typed(editor, sheet, glossary):
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, [(HARD + "あ" * 400, "")]))
    assert response.status_code == 200  # too long: refused, typed text kept
    section = hints_section(text(response))
    assert "「遵守」は「守る」など" in section
    sheet.refresh_from_db()
    assert sheet.version == 1 and not sheet.goals.exists()


def test_a_save_without_hints_says_nothing_more(editor, sheet, glossary):
    client = client_for(editor)
    client.post(url("goals:plan_edit", sheet), plan_data(sheet, [(PLAIN, "")]))
    page = text(client.get(url("goals:sheet", sheet)))
    assert "下書きを保存しました。" in page and "やさしい日本語のヒントが" not in page


# --- The live endpoint --------------------------------------------------------------------------


def test_live_hints_need_a_login_a_post_and_a_sheet_the_person_may_see(editor, sheet, people):
    path = url("goals:hints", sheet)
    data = plan_data(sheet, [(HARD, "")])
    response = Client().post(path, data)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client_for(editor).get(path).status_code == 405
    assert client_for(people.kumin_editor).post(path, data).status_code == 404  # another department
    assert client_for(people.outsider).post(path, data).status_code == 404
    assert client_for(people.viewer).post(path, data).status_code == 200  # sees the sheet: may read hints


def test_live_hints_of_the_typed_goals_change_nothing(editor, sheet, glossary, django_assert_max_num_queries):
    client = client_for(editor)
    client.post(url("goals:hints", sheet), plan_data(sheet, [(PLAIN, "")]))
    with django_assert_max_num_queries(12):
        response = client.post(url("goals:hints", sheet), plan_data(sheet, [(HARD, ""), ("", PLAIN)]))
    body = text(response)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "<html" not in body  # a fragment
    assert body.count('class="writing-field') == 2  # 目標1 — 目標 and 目標2 — 具体的な取組内容
    assert '<a href="#id_goals-1-actions">目標 2 — 具体的な取組内容</a>' in body
    assert "「来庁者」は「区役所に来た人」など" in body
    assert "no-store" in response["Cache-Control"]
    sheet.refresh_from_db()
    assert sheet.version == 1 and not sheet.goals.exists()


def test_live_hints_refuse_in_japanese_what_is_not_typing(editor, sheet):
    client = client_for(editor)
    path = url("goals:hints", sheet)
    huge = client.post(path, {**plan_data(sheet, [("あ" * MAX_HINTS_BODY, "")])})
    assert huge.status_code == 413
    assert "入力された文章が多すぎるため、ヒントを表示できません。" in text(huge)
    bad = client.post(path, {**plan_data(sheet, [(HARD, "")]), "phase": "other"})
    assert bad.status_code == 400 and "ページを読み込み直してください。" in text(bad)
    long = client.post(path, plan_data(sheet, [("あ" * (MAX_ANALYSED + 1), "")]))
    assert long.status_code == 200 and f"文章が長すぎるため ({MAX_ANALYSED + 1}文字)、調べていません。" in text(long)
    empty = client.post(path, plan_data(sheet, []))
    assert "まだ文章がありません。" in text(empty)
    for number in ("²", "9" * 5000):  # read loosely, as the preview reads it: never a 500
        typed = {**plan_data(sheet, [(HARD, "")]), "goals-0-number": number}
        assert client.post(path, typed).status_code == 200


@pytest.fixture
def result_sheet(editor, approver, sheet, year):
    """The plan approved, the result phase open."""
    from goals.services import fiscal_year_set_phase

    sheet = sheet_save_plan(sheet=sheet, goals=[GoalInput(number=1, objective=PLAIN)], expected_version=1, by=editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=approver)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True)
    sheet.refresh_from_db()
    return sheet


def test_the_results_form_has_hints_for_the_results_or_the_omission_reason(editor, result_sheet, glossary):
    client = client_for(editor)
    data = {
        "version": result_sheet.version,
        "phase": "result",
        "results-TOTAL_FORMS": 1,
        "results-INITIAL_FORMS": 1,
        "results-MIN_NUM_FORMS": 0,
        "results-MAX_NUM_FORMS": 1000,
        "results-0-done": "要望を周知しました。",
        "results-0-achievement": "",
        "results-0-omitted_reason": "",
    }
    body = text(client.post(url("goals:hints", result_sheet), data))
    assert '<a href="#id_results-0-done">目標 1 — 実施結果</a>' in body and "「周知」は「広く知らせる」など" in body
    omitted = text(client.post(url("goals:hints", result_sheet), {**data, "results-0-is_omitted": "on",
                                                                   "results-0-omitted_reason": "速やかに省略します。"}))
    assert "目標 1 — 省略の理由" in omitted and "実施結果" not in omitted
    assert "writing-aid-heading" in text(client.get(url("goals:results_edit", result_sheet)))


# --- 総務課: the dashboard and the 差戻し page ----------------------------------------------------


def test_the_dashboard_shows_each_sheets_level_in_a_constant_number_of_queries(approver, year, seed_year):
    client = client_for(approver)
    dashboard = reverse("goals:dashboard", kwargs={"office": "nakahara", "year": year.year})

    def count():
        client.get(dashboard)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(dashboard)
        return len(queries), text(response)

    few, _ = count()
    for sheet in year.sheets.filter(plan_status=SheetStatus.NOT_STARTED)[:5]:
        sheet_save_plan(sheet=sheet, goals=[GoalInput(number=1, objective=HARD)], expected_version=sheet.version, by=approver)
    more, body = count()
    assert few == more, (few, more)
    assert '<th scope="col">読みやすさ</th>' in body
    assert body.count('<span class="level-word level-hard">難しい</span>') >= 5
    seed = text(client.get(reverse("goals:dashboard", kwargs={"office": "nakahara", "year": 2020})))
    # The seed year: every department's plan and results measured.
    assert seed.count('class="level-word level-') == 2 * 17


@pytest.fixture
def submitted(editor, sheet, glossary):
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective=PLAIN), GoalInput(number=2, objective=HARD)],
        expected_version=1, by=editor,
    )
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet.refresh_from_db()
    return sheet


def test_the_return_page_offers_the_hints_as_sentences_for_the_comment(approver, submitted):
    client = client_for(approver)
    body = text(client.get(url("goals:return", submitted, phase="plan")))
    quote = "目標2: 『遵守』は『守る』など、やさしい言葉にしてください。"
    assert f'<span class="quote-text" id="quote-1-2">{quote}</span>' in body
    assert f'data-quote="{quote}"' in body and 'data-quote-target="id_comment"' in body
    assert "目標1:" not in body  # the plain goal has nothing to quote
    assert "js/writing-aid.js" in body
    assert "quote-text" not in text(client.get(url("goals:approve", submitted, phase="plan")))
    # The sentence, used as the comment, names the goal the department is sent to.
    response = client.post(url("goals:return", submitted, phase="plan"), {"version": submitted.version, "comment": quote})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.plan_status == SheetStatus.RETURNED


def test_the_entry_workbook_preview_shows_the_files_hints(editor, sheet, glossary):
    client = client_for(editor)
    filled = fill(download(client, sheet), {0: {"目標": HARD}})
    body = text(upload(client, sheet, filled))
    section = hints_section(body)
    assert "目標 1 — 目標" in section and "「遵守」は「守る」など" in section
    assert not sheet.goals.exists()  # a preview saves nothing
