"""What keeps an editor's typing and intent safe: an empty 提出 refused, the 差戻し comment where the
fixing happens, the login's end said on the way to the login page (and 延長する), the browser's copy
of the typing dropped once saved, a past deadline said after saving, and the messages' wording.

The browser side (restoring the typing, the warning before the login ends, Enter) is in
tests/browser/test_editor_trust.py.
"""

import datetime
import re
import html

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from goals import rules
from goals.models import EventAction, Phase, ReviewEvent, SheetStatus
from goals.selectors import goal_numbers_named, sheet_content
from goals.services import (
    GoalInput,
    GoalsError,
    ResultInput,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from tests.goals.test_editor_views import GOALS, plan_data, result_data, saved, state, three_goals, url
from tests.personas import KIKAKU, client_for


def text(response):
    return html.unescape(response.content.decode())


def log_in(user):
    """A client logged in the way a browser is: with a session cookie."""
    client = Client()
    client.force_login(user)
    return client


def end_login(client):
    """The login ends server-side (SESSION_IDLE_MINUTES passed); the browser still sends its cookie."""
    Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()


# --- 提出 of nothing ----------------------------------------------------------------------------


def test_save_and_submit_on_an_untouched_goals_form_is_refused_and_saves_nothing(editor, sheet):
    before = state(sheet)
    assert before[1] == SheetStatus.NOT_STARTED
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, [], action="submit"))
    assert response.status_code == 200
    assert rules.NO_GOALS in text(response)
    assert state(sheet) == before  # still 未着手: no empty 下書き, no event
    assert not ReviewEvent.objects.filter(sheet=sheet).exists()


def test_deleting_every_goal_and_submitting_is_refused_and_deletes_nothing(editor, sheet):
    sheet = saved(sheet, GOALS[:1], editor)
    before = state(sheet)
    data = plan_data(sheet, [{"number": 1, "objective": GOALS[0], "delete": True}], action="submit", initial=1)
    response = client_for(editor).post(url("goals:plan_edit", sheet), data)
    assert rules.NO_GOALS in text(response)
    assert state(sheet) == before


def test_saving_an_untouched_form_as_a_draft_is_still_allowed(editor, sheet):
    response = client_for(editor).post(url("goals:plan_edit", sheet), plan_data(sheet, [], action="save"))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.DRAFT


@pytest.fixture
def results_open(editor, approver, sheet, year):
    """The goals approved, 実績報告 open, no result written yet."""
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=approver)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True)
    sheet.refresh_from_db()
    return sheet


def test_save_and_submit_without_a_single_result_is_refused_and_saves_nothing(editor, results_open):
    sheet = results_open
    before = state(sheet)
    blank = [{"done": "  "}, {}, {"achievement": "達成度だけ書いた"}]
    response = client_for(editor).post(url("goals:results_edit", sheet), result_data(sheet, blank, action="submit"))
    assert response.status_code == 200
    body = text(response)
    assert rules.NO_RESULTS in body and "達成度だけ書いた" in body  # what was typed stays
    assert state(sheet) == before


def test_the_services_refuse_to_submit_results_without_a_single_result(editor, results_open):
    sheet = sheet_save_results(
        sheet=results_open, results=[ResultInput(number=1)], expected_version=results_open.version, by=editor
    )
    assert sheet.result_status == SheetStatus.DRAFT
    with pytest.raises(GoalsError, match=re.escape(rules.NO_RESULTS)):
        sheet_submit(sheet=sheet, phase=Phase.RESULT, by=editor)
    # The pages say it in the same words: no 提出 button, and the 提出 page sends them back saying why.
    client = client_for(editor)
    submit = url("goals:submit", sheet, phase="result")
    assert submit not in text(client.get(url("goals:sheet", sheet)))
    assert rules.NO_RESULTS in text(client.get(submit, follow=True))
    # One result of three: the other goals are named, as before.
    sheet = sheet_save_results(
        sheet=sheet, results=[ResultInput(number=2, done="実施しました。")], expected_version=sheet.version, by=editor
    )
    with pytest.raises(GoalsError, match="目標1・目標3の実施結果が未入力です"):
        sheet_submit(sheet=sheet, phase=Phase.RESULT, by=editor)
    sheet.refresh_from_db()
    assert sheet.result_status == SheetStatus.DRAFT


def test_partial_results_are_still_saved_when_submit_is_refused(editor, results_open):
    sheet = results_open
    results = [{"done": "実施しました。"}, {}, {}]
    response = client_for(editor).post(
        url("goals:results_edit", sheet), result_data(sheet, results, action="submit"), follow=True
    )
    body = text(response)
    assert "下書きは保存しましたが、提出できませんでした。目標2・目標3の実施結果が未入力です。" in body
    # Back on the form, which tells the browser its copy of the typing is saved.
    assert "data-draft-keeper data-draft-saved" in body
    sheet.refresh_from_db()
    assert sheet.result_status == SheetStatus.DRAFT


# --- The 差戻し comment on the form -------------------------------------------------------------


def test_the_return_comment_is_on_the_goals_form_linked_from_its_heading(editor, approver, sheet):
    sheet = saved(sheet, GOALS, editor)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    comment = "目標２の表現を具体的にしてください。\n目標3と目標9は数値で示してください。"
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=approver, comment=comment)
    body = text(client_for(editor).get(url("goals:plan_edit", sheet)))
    heading, rest = body.split('<h1 class="h3 mb-1">目標の入力</h1>', 1)
    subtitle = rest.split("</p>", 1)[0]
    assert '<a href="#return-notice">差戻しの理由を読む</a>' in subtitle
    notice = rest.split('id="return-notice"', 1)[1].split("</section>", 1)[0]
    assert "差戻しの理由" in notice
    assert "目標２の表現を具体的にしてください。<br>目標3と目標9は数値で示してください。" in notice
    # Links to the goals it names that the sheet has (目標9 it has not), in the comment's order.
    assert '<a href="#goals-1-fieldset">目標 2</a>、<a href="#goals-2-fieldset">目標 3</a></p>' in notice
    assert url("goals:changes", sheet, phase="plan") in notice
    assert body.index('id="return-notice"') < body.index('class="sheet-form"')


def test_the_reopen_reason_is_on_the_results_form(editor, approver, people, results_open):
    sheet = sheet_save_results(
        sheet=results_open,
        results=[ResultInput(number=n, done="実施しました。") for n in (1, 2, 3)],
        expected_version=results_open.version,
        by=editor,
    )
    sheet_submit(sheet=sheet, phase=Phase.RESULT, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.RESULT, by=approver)
    sheet_reopen(sheet=sheet, phase=Phase.RESULT, by=people.approver2, reason="目標1の実施結果に誤りがあります。")
    body = text(client_for(editor).get(url("goals:results_edit", sheet)))
    assert '<a href="#return-notice">承認を取り消した理由を読む</a>' in body
    assert "承認を取り消した理由" in body and "目標1の実施結果に誤りがあります。" in body
    assert '<a href="#results-0-fieldset">目標 1</a>' in body


def test_no_return_notice_on_a_form_that_was_not_returned(editor, sheet):
    body = text(client_for(editor).get(url("goals:plan_edit", sheet)))
    assert 'id="return-notice"' not in body and "#return-notice" not in body


@pytest.mark.anydb
@pytest.mark.parametrize(
    "comment, numbers",
    [
        ("目標2の表現を直してください。", [2]),
        ("目標 ３ と目標1、目標2・4について", [3, 1, 2, 4]),
        ("目標2及び3、目標2", [2, 3]),
        ("全体的に見直してください。", []),
    ],
)
def test_the_goals_a_comment_names(comment, numbers):
    assert goal_numbers_named(comment) == numbers


# --- The browser's copy of the typing -----------------------------------------------------------


def test_a_saved_form_tells_the_next_page_to_drop_the_browsers_copy(editor, sheet):
    client = client_for(editor)
    form = url("goals:plan_edit", sheet)
    page = text(client.get(form))
    assert "data-draft-keeper" in page and f'data-draft-owner="{editor.pk}"' in page
    assert "data-draft-saved" not in page and "data-draft-unsaved" not in page

    response = client.post(form, plan_data(sheet, three_goals(sheet.fiscal_year)), follow=True)
    assert f'data-draft-saved="{form}"' in text(response)  # the sheet page, once
    assert 'data-draft-saved=""' in text(client.get(url("goals:sheet", sheet)))


def test_a_form_shown_back_unsaved_says_so(editor, sheet):
    client = client_for(editor)
    response = client.post(url("goals:plan_edit", sheet), plan_data(sheet, [{"number": 1, "objective": "あ" * 401}]))
    assert response.status_code == 200 and "data-draft-unsaved" in text(response)


# --- The login's end ----------------------------------------------------------------------------


def test_a_save_after_the_login_ended_goes_to_login_says_why_and_comes_back_to_the_form(editor, sheet):
    client = log_in(editor)
    form = url("goals:plan_edit", sheet)
    client.get(form)
    end_login(client)
    before = state(sheet)

    data = plan_data(sheet, [{"number": 1, "objective": "電話の合間に書いた目標"}])
    response = client.post(form, data, HTTP_REFERER=f"http://testserver{form}")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={form}"
    page = text(client.get(response["Location"]))
    minutes = settings.SESSION_COOKIE_AGE // 60
    assert (
        f"ログインが切れていたため、送信した内容は保存されていません ({minutes}分以上操作がないと、ログインは切れます)。"
        "もう一度ログインすると元の画面に戻り、入力していた内容を復元できます。"
    ) in page
    assert f'name="next" value="{form}"' in page
    assert state(sheet) == before


def test_a_post_to_an_address_that_only_posts_comes_back_to_the_page_it_was_sent_from(approver, year):
    client = log_in(approver)
    years = reverse("goals:years", kwargs={"office": "nakahara"})
    end_login(client)
    phase = reverse("goals:phase", kwargs={"office": "nakahara", "year": year.year, "phase": "plan"})
    response = client.post(phase, {"state": "closed"}, HTTP_REFERER=f"http://testserver{years}#year-2021")
    assert response["Location"] == f"{reverse('login')}?next={years}"
    # From another site, the Referer is not followed: back to the address itself.
    response = client.post(phase, {"state": "closed"}, HTTP_REFERER="https://example.com/staff/")
    assert response["Location"] == f"{reverse('login')}?next={phase}"
    year.refresh_from_db()
    assert year.plan_open


def test_a_page_opened_after_the_login_ended_says_why(editor, sheet):
    client = log_in(editor)
    end_login(client)
    response = client.get(url("goals:sheet", sheet), follow=True)
    minutes = settings.SESSION_COOKIE_AGE // 60
    assert f"{minutes}分以上操作がなかったため、ログインの有効期限が切れました。もう一度ログインしてください。" in text(response)


def test_no_word_of_an_ended_login_to_someone_who_never_logged_in(sheet):
    response = Client().get(url("goals:sheet", sheet), follow=True)
    assert "有効期限" not in text(response)
    response = Client().post(url("goals:plan_edit", sheet), {}, follow=True)
    assert "ログインが切れていたため、送信した内容は保存されていません" in text(response)


def test_a_scripts_request_after_the_login_ended_leaves_the_message_for_the_page(editor, sheet):
    client = log_in(editor)
    end_login(client)
    client.post(url("goals:preview", sheet), plan_data(sheet, []), HTTP_SEC_FETCH_MODE="cors")
    response = client.post(url("goals:plan_edit", sheet), {}, HTTP_SEC_FETCH_MODE="navigate", follow=True)
    assert text(response).count("送信した内容は保存されていません") == 1


def test_extending_the_login(editor, sheet):
    client = log_in(editor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + datetime.timedelta(seconds=30))
    extend = reverse("session_extend")
    assert client.get(extend).status_code == 405
    response = client.post(extend)
    assert response.status_code == 200 and response.json() == {"seconds": settings.SESSION_COOKIE_AGE}
    assert "no-cache" in response["Cache-Control"]
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # An ended login is not extended: the login page, as for every staff address.
    end_login(client)
    assert client.post(extend, HTTP_SEC_FETCH_MODE="cors")["Location"].startswith(reverse("login"))


def test_staff_pages_carry_the_login_timer(editor, sheet, settings):
    settings.SESSION_COOKIE_AGE = 600
    body = text(log_in(editor).get(url("goals:sheet", sheet)))
    assert 'src="/static/js/session-timer.js" defer data-session-seconds="600"' in body
    assert f'data-extend-url="{reverse("session_extend")}"' in body


# --- A past deadline ----------------------------------------------------------------------------


def phase_url(year, phase):
    return reverse("goals:phase", kwargs={"office": "nakahara", "year": year.year, "phase": phase})


def test_a_past_deadline_is_saved_and_said(approver, year):
    client = client_for(approver)
    response = client.post(phase_url(year, "plan"), {"state": "open", "deadline": "2022-04-28"}, follow=True)
    body = text(response)
    today = timezone.localdate()
    assert "令和3年度の目標設定の受付を開始しました。" in body
    assert (
        f"令和3年度の目標設定の締切日 (2022年4月28日) は、今日 ({today.year}年{today.month}月{today.day}日) "
        "より前の日付です。受付中のため、まだ提出していない部署はすべて期限超過と表示されます。"
        "日付が正しければ、このままでかまいません。誤りであれば、締切日を直して更新してください。"
    ) in body
    year.refresh_from_db()
    assert year.plan_open and year.plan_deadline == datetime.date(2022, 4, 28)


def test_a_future_deadline_or_closing_with_the_old_one_says_nothing_more(approver, year):
    client = client_for(approver)
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    body = text(client.post(phase_url(year, "plan"), {"state": "open", "deadline": future}, follow=True))
    assert "より前の日付です" not in body
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=True, deadline=datetime.date(2022, 4, 28))
    body = text(client.post(phase_url(year, "plan"), {"state": "closed", "deadline": "2022-04-28"}, follow=True))
    assert "受付を終了しました。" in body and "より前の日付です" not in body


def test_opening_the_next_year_with_a_past_deadline_says_so(approver, year):
    response = client_for(approver).post(
        reverse("goals:years", kwargs={"office": "nakahara"}), {"plan_deadline": "2023-04-28"}, follow=True
    )
    body = text(response)
    assert "令和4年度 (2022年度) を開始しました。" in body
    assert "令和4年度の目標設定の締切日 (2023年4月28日) は、今日" in body


# --- Wording ------------------------------------------------------------------------------------


def test_review_messages_name_the_department_without_a_gap(editor, approver, people, sheet, year):
    sheet = sheet_save_plan(
        sheet=sheet, goals=[GoalInput(number=1, objective=GOALS[0])], expected_version=sheet.version, by=editor
    )
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=sheet, phase=Phase.PLAN, by=people.approver2)
    sheet.refresh_from_db()
    reopen = reverse(
        "goals:reopen", kwargs={"office": "nakahara", "year": year.year, "code": sheet.department.code, "phase": "plan"}
    )
    response = client_for(approver).post(reopen, {"reason": "数値を直すため", "version": sheet.version}, follow=True)
    assert f"{KIKAKU}の目標設定の承認を取り消しました。" in text(response)
    assert sheet_content(sheet)["goals"][0]["objective"] == GOALS[0]
    assert ReviewEvent.objects.filter(sheet=sheet, action=EventAction.REOPEN).count() == 1
