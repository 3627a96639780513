"""The approver's pages: dashboard, 承認 / 差戻し / 承認取消, changes since a return, years."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from departments.models import Role
from goals.models import EventAction, FiscalYear, GoalSheet, ReviewEvent, SheetStatus
from goals.services import (
    GoalInput,
    GoalsError,
    ResultInput,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)
from tests.personas import KIKAKU, KUMIN, SOUMU
from tests.personas import seed_department as department

OWN_SUBMISSION = "自分が提出したシートは承認できません。別の承認者に承認を依頼してください。"

ROW = re.compile(r'<th scope="row"><a href="/staff/nakahara/2021/sheets/[^"]+/">([^<]+)</a></th>')


def sheet_of(fiscal_year, name):
    return GoalSheet.objects.get(fiscal_year=fiscal_year, department__name=name)


def text(response):
    """The page's text with tags kept but entities decoded, for readable assertions."""
    return html.unescape(response.content.decode())


def dashboard_rows(response):
    return ROW.findall(text(response))


@pytest.fixture
def year2021(seed_year):
    return fiscal_year_open_next(previous=seed_year, copy_goals_for=[department(KIKAKU)])


def submitted(fiscal_year, name, by, objectives=("窓口での案内を分かりやすくします。",)):
    """The department's sheet with goals, submitted for the plan phase by `by`."""
    sheet = sheet_of(fiscal_year, name)
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=n, objective=o) for n, o in enumerate(objectives, 1)],
        expected_version=sheet.version,
        by=by,
    )
    sheet_submit(sheet=sheet, phase="plan", by=by)
    sheet.refresh_from_db()
    return sheet


def sheet_url(name, sheet, phase="plan"):
    fiscal_year = sheet.fiscal_year
    return reverse(
        f"goals:{name}",
        kwargs={
            "office": fiscal_year.office.slug,
            "year": fiscal_year.year,
            "code": sheet.department.code,
            "phase": phase,
        },
    )


def dashboard_url(year=2021, office="nakahara"):
    return reverse("goals:dashboard", kwargs={"office": office, "year": year})


def years_url(office="nakahara"):
    return reverse("goals:years", kwargs={"office": office})


def phase_url(phase, year=2021, office="nakahara"):
    return reverse("goals:phase", kwargs={"office": office, "year": year, "phase": phase})


# --- Dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_every_department_status_submitter_and_progress(client, year2021, people):
    kumin = submitted(year2021, KUMIN, people.kumin_editor)
    soumu = submitted(year2021, SOUMU, people.soumu_editor)
    sheet_approve(sheet=soumu, phase="plan", by=people.approver)
    client.force_login(people.approver)

    response = client.get(dashboard_url())

    assert response.status_code == 200
    page = text(response)
    rows = dashboard_rows(response)
    assert len(rows) == 17
    assert rows[:2] == ["危機管理担当", SOUMU]  # published order
    assert "提出済" in page and "承認済" in page and "下書き" in page and "未着手" in page
    assert 'aria-valuenow="1"' in page and 'aria-valuemax="17"' in page
    assert "承認済 1 / 17" in page
    assert f"{people.kumin_editor.last_name} {people.kumin_editor.first_name}" in page
    assert sheet_url("approve", kumin) in page and sheet_url("return", kumin) in page
    assert sheet_url("reopen", soumu) in page
    assert "17部署中 17部署を表示" in page


def test_dashboard_flags_sheets_still_with_their_department_after_the_deadline(
    client, year2021, people
):
    FiscalYear.objects.filter(pk=year2021.pk).update(
        plan_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    page = text(client.get(dashboard_url()))

    assert page.count("期限超過</span>") == 16  # all but the submitted one


def test_no_overdue_flag_before_the_deadline(client, year2021, people):
    FiscalYear.objects.filter(pk=year2021.pk).update(plan_deadline=timezone.localdate())
    client.force_login(people.approver)
    assert "期限超過</span>" not in text(client.get(dashboard_url()))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"plan_status": "submitted"}, [KUMIN]),
        ({"plan_status": "draft"}, [KIKAKU]),
        ({"q": "区民"}, None),  # checked below: every name containing 区民
        ({"q": "ｿｳﾑ"}, []),  # half-width katakana folds, but nothing is called ソウム
        ({"overdue": "on"}, "overdue"),
    ],
)
def test_dashboard_filters(client, year2021, people, query, expected):
    FiscalYear.objects.filter(pk=year2021.pk).update(
        plan_deadline=timezone.localdate() - datetime.timedelta(days=3)
    )
    submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    rows = dashboard_rows(client.get(dashboard_url(), query))

    if expected is None:
        assert rows and all("区民" in name for name in rows)
        assert (
            len(rows)
            == GoalSheet.objects.filter(
                fiscal_year=year2021, department__name__contains="区民"
            ).count()
        )
    elif expected == "overdue":
        assert len(rows) == 16 and KUMIN not in rows
    else:
        assert rows == expected


def test_dashboard_ignores_an_unknown_status_filter(client, year2021, people):
    client.force_login(people.approver)
    assert len(dashboard_rows(client.get(dashboard_url(), {"plan_status": "done"}))) == 17


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("approver", 200),
        ("viewer", 200),
        ("kumin_editor", 404),
        ("soumu_editor", 404),
        ("outsider", 404),
    ],
)
def test_dashboard_is_for_the_office_approvers_and_viewers(
    client, year2021, people, persona, status
):
    client.force_login(getattr(people, persona))
    assert client.get(dashboard_url()).status_code == status


def test_dashboard_needs_login(client, year2021):
    response = client.get(dashboard_url())
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_viewer_sees_statuses_but_no_review_actions(client, year2021, people):
    kumin = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.viewer)
    page = text(client.get(dashboard_url()))
    assert "提出済" in page
    assert sheet_url("approve", kumin) not in page and sheet_url("return", kumin) not in page


def test_dashboard_offers_the_other_years(client, year2021, people):
    client.force_login(people.approver)
    page = text(client.get(dashboard_url()))
    assert dashboard_url(2020) in page and "令和2年度 (2020年度)" in page
    assert 'aria-current="page" href="/staff/nakahara/2021/"' in page


def _synthetic_year(size):
    """An office with `size` departments in every state, some submitted and returned."""
    office = OfficeFactory()
    fiscal_year = FiscalYearFactory(
        office=office, year=2021, plan_deadline=datetime.date(2021, 5, 31)
    )
    editor = UserFactory()
    statuses = [
        SheetStatus.NOT_STARTED,
        SheetStatus.DRAFT,
        SheetStatus.SUBMITTED,
        SheetStatus.RETURNED,
    ]
    for n in range(size):
        sheet = GoalSheetFactory(fiscal_year=fiscal_year, plan_status=statuses[n % 4])
        MembershipFactory(department=sheet.department, user=editor)
        if sheet.plan_status in (SheetStatus.SUBMITTED, SheetStatus.RETURNED):
            ReviewEvent.objects.create(
                sheet=sheet, phase="plan", action=EventAction.SUBMIT, actor=editor
            )
        if sheet.plan_status == SheetStatus.RETURNED:
            ReviewEvent.objects.create(
                sheet=sheet, phase="plan", action=EventAction.RETURN, actor=editor, comment="要修正"
            )
    approver = MembershipFactory(
        department=DepartmentFactory(office=office), role=Role.APPROVER
    ).user
    return fiscal_year, approver


@pytest.mark.parametrize("size", [3, 30])
def test_dashboard_runs_a_constant_number_of_queries(client, db, django_assert_num_queries, size):
    fiscal_year, approver = _synthetic_year(size)
    client.force_login(approver)
    url = dashboard_url(office=fiscal_year.office.slug)
    # session, user, office, memberships, fiscal year, sheets, events, year selector, the count
    # of undelivered notifications, the goals' texts (読みやすさ: goals.writing.year_levels), and
    # the session saved again (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200
    assert f"{size}部署中 {size}部署を表示" in text(response)


# --- 承認 ---------------------------------------------------------------------------------------


def test_approve_page_shows_the_content_and_who_submitted_it(client, year2021, people):
    sheet = submitted(
        year2021, KUMIN, people.kumin_editor, objectives=["窓口での案内を\n分かりやすくします。"]
    )
    client.force_login(people.approver)

    response = client.get(sheet_url("approve", sheet))

    page = text(response)
    assert response.status_code == 200
    assert (
        '<p><span class="cell-heading">【目標】</span>窓口での案内を</p><p>分かりやすくします。</p>' in page
    )  # as the public table prints it
    assert f"{people.kumin_editor.last_name} {people.kumin_editor.first_name}" in page
    assert "承認する</button>" in page
    assert sheet_url("changes", sheet) not in page  # never returned: nothing to compare
    assert (
        ReviewEvent.objects.filter(sheet=sheet, action=EventAction.APPROVE).count() == 0
    )  # GET changes nothing


def test_approve_approves_records_and_tells_the_department(
    client, year2021, people, mailoutbox, django_capture_on_commit_callbacks
):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sheet_url("approve", sheet), {"version": sheet.version}, follow=True)

    assert response.redirect_chain[-1][0] == dashboard_url()
    assert "承認しました" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED
    event = ReviewEvent.objects.filter(sheet=sheet).latest("created_at", "pk")
    assert (event.action, event.actor) == (EventAction.APPROVE, people.approver)
    assert [m.to for m in mailoutbox] == [[people.kumin_editor.email]]


def test_approving_a_sheet_that_is_not_submitted_is_refused_with_a_message(
    client, year2021, people
):
    sheet = sheet_of(year2021, KIKAKU)  # a draft
    client.force_login(people.approver)

    # the page says why before the approver tries, in the words the service refuses with
    assert "承認できません:</strong> 提出されていないシートは承認できません。" in text(
        client.get(sheet_url("approve", sheet))
    )
    response = client.post(sheet_url("approve", sheet))

    assert response.status_code == 200
    assert "提出されていないシートは承認できません。" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.DRAFT


def test_an_approver_cannot_approve_what_they_submitted_but_a_second_approver_can(
    client, year2021, people
):
    # 総務課's own sheet, submitted by an approver: separation of duties
    sheet = submitted(year2021, SOUMU, people.approver)
    client.force_login(people.approver)

    dashboard = text(client.get(dashboard_url()))
    assert OWN_SUBMISSION in dashboard
    assert sheet_url("approve", sheet) not in dashboard
    confirm = text(client.get(sheet_url("approve", sheet)))
    assert OWN_SUBMISSION in confirm and "承認する</button>" not in confirm

    response = client.post(sheet_url("approve", sheet), {"version": sheet.version})
    assert OWN_SUBMISSION in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED

    client.force_login(people.approver2)
    assert OWN_SUBMISSION not in text(client.get(dashboard_url()))
    client.post(sheet_url("approve", sheet), {"version": sheet.version})
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED


def test_results_are_reviewed_with_the_goals_beside_them(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver)
    fiscal_year_set_phase(fiscal_year=year2021, phase="plan", is_open=False)
    fiscal_year_set_phase(
        fiscal_year=year2021, phase="result", is_open=True, deadline=datetime.date(2022, 4, 30)
    )
    sheet.refresh_from_db()
    sheet_save_results(
        sheet=sheet,
        results=[
            ResultInput(
                number=1,
                done="案内表示を全面的に見直しました。",
                achievement="概ね達成できました。",
            )
        ],
        expected_version=sheet.version,
        by=people.kumin_editor,
    )
    sheet_submit(sheet=sheet, phase="result", by=people.kumin_editor)
    client.force_login(people.approver)

    page = text(client.get(sheet_url("approve", sheet, phase="result")))
    assert "実施結果及び目標の達成度" in page
    assert (
        "案内表示を全面的に見直しました。" in page and "窓口での案内を分かりやすくします。" in page
    )
    assert sheet_url("approve", sheet, phase="result") in text(client.get(dashboard_url()))

    sheet.refresh_from_db()
    client.post(sheet_url("approve", sheet, phase="result"), {"version": sheet.version})
    sheet.refresh_from_db()
    assert sheet.result_status == SheetStatus.APPROVED


# --- 差戻し -------------------------------------------------------------------------------------


def test_return_needs_a_comment(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    response = client.post(sheet_url("return", sheet), {"comment": "  "})

    assert response.status_code == 200
    assert "差戻しの理由を入力してください。" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(sheet=sheet, action=EventAction.RETURN).exists()


def test_return_form_is_labelled(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)
    page = text(client.get(sheet_url("return", sheet)))
    assert 'for="id_comment"' in page and "差戻しの理由 (部署に表示されます)" in page


def test_return_sends_the_sheet_back_with_the_comment(
    client, year2021, people, mailoutbox, django_capture_on_commit_callbacks
):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            sheet_url("return", sheet), {"comment": "目標1を数値で示してください。", "version": sheet.version}
        )

    assert response.status_code == 302 and response.url == dashboard_url()
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.RETURNED
    event = ReviewEvent.objects.get(sheet=sheet, action=EventAction.RETURN)
    assert event.comment == "目標1を数値で示してください。" and event.actor == people.approver
    assert len(mailoutbox) == 1 and "目標1を数値で示してください。" in mailoutbox[0].body
    assert "差し戻しました" in text(client.get(response.url))


def test_a_refused_return_keeps_the_typed_comment(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)
    client.get(sheet_url("return", sheet))  # the approver opens the page …
    sheet_approve(sheet=sheet, phase="plan", by=people.approver2)  # … while a colleague approves

    response = client.post(
        sheet_url("return", sheet), {"comment": "取組内容を具体的に書いてください。", "version": sheet.version}
    )

    page = text(response)
    assert response.status_code == 200
    assert "提出されていないシートは差し戻せません。" in page
    assert "取組内容を具体的に書いてください。</textarea>" in page


# --- 承認取消 -----------------------------------------------------------------------------------


def test_reopen_needs_a_reason_and_then_returns_the_approved_sheet(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver2)
    client.force_login(people.approver)

    response = client.post(sheet_url("reopen", sheet), {"reason": ""})
    assert response.status_code == 200 and "承認を取り消す理由を入力してください。" in text(
        response
    )
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED

    sheet.refresh_from_db()
    response = client.post(
        sheet_url("reopen", sheet), {"reason": "部署名の変更を反映するため", "version": sheet.version}, follow=True
    )
    assert "承認を取り消しました" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.RETURNED
    assert (
        ReviewEvent.objects.get(sheet=sheet, action=EventAction.REOPEN).comment
        == "部署名の変更を反映するため"
    )


# Raw 0x01 and 0x1b reached the public page through these comments; U+202E turns text around.
HOSTILE_COMMENTS = ["差戻し\x01の理由", "\x1b[31m赤字\x1b[0m", "区民\u202e課gnp.exe", "幅\u200bなし"]


@pytest.mark.parametrize("comment", HOSTILE_COMMENTS)
def test_a_return_comment_with_invisible_characters_is_refused_on_the_form(client, year2021, people, comment):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)

    response = client.post(sheet_url("return", sheet), {"comment": comment, "version": sheet.version})

    assert response.status_code == 200
    assert "目に見えない特殊な文字" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(sheet=sheet, action=EventAction.RETURN).exists()


@pytest.mark.parametrize("reason", HOSTILE_COMMENTS)
def test_a_reopen_reason_with_invisible_characters_is_refused_on_the_form(client, year2021, people, reason):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver2)
    sheet.refresh_from_db()
    client.force_login(people.approver)

    response = client.post(sheet_url("reopen", sheet), {"reason": reason, "version": sheet.version})

    assert response.status_code == 200
    assert "目に見えない特殊な文字" in text(response)
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.APPROVED
    assert not ReviewEvent.objects.filter(sheet=sheet, action=EventAction.REOPEN).exists()


@pytest.mark.parametrize("comment", HOSTILE_COMMENTS)
def test_the_review_services_refuse_them_too(year2021, people, comment):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    with pytest.raises(GoalsError, match="差戻しの理由に.*目に見えない特殊な文字"):
        sheet_return(sheet=sheet, phase="plan", by=people.approver, comment=comment)
    sheet_approve(sheet=sheet, phase="plan", by=people.approver)
    with pytest.raises(GoalsError, match="承認を取り消す理由に.*目に見えない特殊な文字"):
        sheet_reopen(sheet=GoalSheet.objects.get(pk=sheet.pk), phase="plan", by=people.approver, reason=comment)
    assert not ReviewEvent.objects.filter(sheet=sheet, action__in=[EventAction.RETURN, EventAction.REOPEN]).exists()


def test_a_comment_is_stored_with_its_line_breaks_as_lf(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)
    client.post(sheet_url("return", sheet), {"comment": "目標1を\r\n見直してください。", "version": sheet.version})
    assert ReviewEvent.objects.get(sheet=sheet, action=EventAction.RETURN).comment == "目標1を\n見直してください。"


# --- Who may review -----------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["approve", "return", "reopen"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [("viewer", 403), ("kumin_editor", 403), ("soumu_editor", 404), ("outsider", 404)],
)
def test_only_approvers_review(client, year2021, people, step, persona, status):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(getattr(people, persona))
    data = {"comment": "理由", "reason": "理由"}

    assert client.get(sheet_url(step, sheet)).status_code == status
    assert client.post(sheet_url(step, sheet), data).status_code == status
    sheet.refresh_from_db()
    assert sheet.plan_status == SheetStatus.SUBMITTED


@pytest.mark.parametrize("step", ["approve", "return", "reopen", "changes"])
def test_review_pages_need_login(client, year2021, people, step):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    response = (
        client.post(sheet_url(step, sheet))
        if step != "changes"
        else client.get(sheet_url(step, sheet))
    )
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_unknown_phase_is_not_found(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.approver)
    assert client.get(sheet_url("approve", sheet, phase="budget")).status_code == 404


# --- Changes since the last return --------------------------------------------------------------


def test_changes_show_what_was_inserted_and_deleted_since_the_return(client, year2021, people):
    sheet = submitted(
        year2021,
        KUMIN,
        people.kumin_editor,
        objectives=["窓口の待ち時間を短縮します。", "電話に丁寧に応対します。"],
    )
    sheet_return(sheet=sheet, phase="plan", by=people.approver, comment="目標1を具体的に")
    sheet.refresh_from_db()
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=1, objective="窓口の平均待ち時間を10分以内に短縮します。")],
        expected_version=sheet.version,
        by=people.kumin_editor,
    )
    sheet_submit(sheet=sheet, phase="plan", by=people.kumin_editor)
    client.force_login(people.approver)

    response = client.get(sheet_url("changes", sheet))

    page = text(response)
    assert response.status_code == 200
    assert "目標1を具体的に" in page
    assert (
        '<ins><span class="visually-hidden">追加ここから、</span>平均'
        '<span class="visually-hidden">、追加ここまで</span></ins>'
    ) in page
    assert "<del>" in page and "削除ここから、" in page and "、削除ここまで" in page
    assert "削除された目標" in page  # goal 2 is gone
    dashboard = text(client.get(dashboard_url()))
    assert (
        sheet_url("changes", sheet) in dashboard
    )  # resubmitted: the approver is pointed at the changes
    confirm = text(client.get(sheet_url("approve", sheet)))
    assert f'<a href="{sheet_url("changes", sheet)}">前回の差戻しからの変更</a>' in confirm
    assert "目標1を具体的に" in confirm  # the return comment, beside the content to approve


def test_changes_show_tag_changes(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    sheet_return(sheet=sheet, phase="plan", by=people.approver, comment="区分を付けてください")
    sheet.refresh_from_db()
    tag = year2021.categories.order_by("sort_order").first()
    sheet_save_plan(
        sheet=sheet,
        goals=[
            GoalInput(number=1, objective="窓口での案内を分かりやすくします。", categories=(tag,))
        ],
        expected_version=sheet.version,
        by=people.kumin_editor,
    )
    client.force_login(people.kumin_editor)  # the department may see its own changes too

    page = text(client.get(sheet_url("changes", sheet)))

    assert (
        f'<ins class="tag-change"><span class="visually-hidden">追加ここから、</span>{tag.name}'
        '<span class="visually-hidden">、追加ここまで</span></ins>'
        in page
    )


def test_changes_without_a_return(client, year2021, people):
    sheet = submitted(year2021, KUMIN, people.kumin_editor)
    client.force_login(people.viewer)
    assert "差戻しの記録はありません" in text(client.get(sheet_url("changes", sheet)))


def test_changes_of_another_department_are_not_found(client, year2021, people):
    sheet = submitted(year2021, SOUMU, people.soumu_editor)
    client.force_login(people.kumin_editor)
    assert client.get(sheet_url("changes", sheet)).status_code == 404


# --- Years and phases ---------------------------------------------------------------------------


def test_years_lists_the_office_years_with_counts(client, year2021, people):
    client.force_login(people.viewer)
    response = client.get(years_url())
    page = text(response)
    assert response.status_code == 200
    assert "令和3年度 (2021年度)" in page and "令和2年度 (2020年度)" in page
    assert "17 / 17" in page  # 2020: every plan and result approved
    assert "を開始する" not in page and "受付期間の設定" not in page  # a viewer changes nothing


@pytest.mark.parametrize(("persona", "status"), [("kumin_editor", 404), ("outsider", 404)])
def test_years_is_not_for_editors(client, year2021, people, persona, status):
    client.force_login(getattr(people, persona))
    assert client.get(years_url()).status_code == status


def test_approver_opens_the_next_year_copying_chosen_goals(client, year2021, people):
    kikaku = department(KIKAKU)
    client.force_login(people.approver)
    page = text(client.get(years_url()))
    assert "令和4年度 (2022年度) を開始する" in page
    assert f'value="{kikaku.pk}"' in page  # 企画課 has 2021 goals to copy

    response = client.post(
        years_url(), {"copy_goals_for": [kikaku.pk], "plan_deadline": "2022-05-31"}
    )

    assert response.status_code == 302 and response.url == dashboard_url(2022)
    year2022 = FiscalYear.objects.get(office__slug="nakahara", year=2022)
    assert year2022.plan_open and year2022.plan_deadline == datetime.date(2022, 5, 31)
    copied = sheet_of(year2022, KIKAKU)
    assert copied.plan_status == SheetStatus.DRAFT and copied.goals.count() == 3
    assert sheet_of(year2022, KUMIN).plan_status == SheetStatus.NOT_STARTED


def test_a_viewer_cannot_open_a_year(client, year2021, people):
    client.force_login(people.viewer)
    assert client.post(years_url(), {}).status_code == 403
    assert not FiscalYear.objects.filter(year=2022).exists()


def test_phase_open_and_close(client, year2021, people):
    client.force_login(people.approver)

    response = client.post(
        phase_url("plan"), {"state": "closed", "deadline": "2021-05-31"}, follow=True
    )
    assert "令和3年度の目標設定の受付を終了しました。" in text(response)
    response = client.post(
        phase_url("result"), {"state": "open", "deadline": "2022-04-30"}, follow=True
    )
    assert "令和3年度の実績報告の受付を開始しました。" in text(response)

    year2021.refresh_from_db()
    assert not year2021.plan_open and year2021.result_open
    assert year2021.result_deadline == datetime.date(2022, 4, 30)


def test_result_phase_cannot_open_while_plan_is_open(client, year2021, people):
    client.force_login(people.approver)
    response = client.post(
        phase_url("result"), {"state": "open", "deadline": "2022-04-30"}, follow=True
    )
    assert "目標設定の受付を終了してから、実績報告を開始してください。" in text(response)
    year2021.refresh_from_db()
    assert not year2021.result_open


def test_opening_a_phase_needs_a_deadline(client, year2021, people):
    FiscalYear.objects.filter(pk=year2021.pk).update(plan_open=False)
    client.force_login(people.approver)
    response = client.post(phase_url("plan"), {"state": "open", "deadline": ""}, follow=True)
    assert "受付を開始するときは締切日を入力してください。" in text(response)
    year2021.refresh_from_db()
    assert not year2021.plan_open


def test_phase_is_post_only_and_for_approvers(client, year2021, people):
    client.force_login(people.approver)
    assert client.get(phase_url("plan")).status_code == 405
    client.force_login(people.viewer)
    assert client.post(phase_url("plan"), {"state": "closed"}).status_code == 403
    client.force_login(people.kumin_editor)
    assert client.post(phase_url("plan"), {"state": "closed"}).status_code == 404
    year2021.refresh_from_db()
    assert year2021.plan_open
