"""The staff pages in a real browser: a year from the first goal to the approved results.

A department's editor, 総務課's approvers and a viewer each use their own browser context and
reach everything through what the page shows them (labels, roles and link texts). axe-core checks
every kind of staff page on the way.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from departments.models import Department, Role
from goals.models import EventAction, Goal, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.services import GoalInput, fiscal_year_open_next, sheet_save_plan, sheet_submit
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
KIKAKU = "まちづくり推進部 企画課"
SOUMU = "まちづくり推進部 総務課"
YEAR = 2021
YEAR_LABEL = "令和3年度"
SHEETS = 17  # the departments of the 2020 table, one sheet each
OWN_SUBMISSION = "自分が提出したシートは承認できません"
OBJECTIVE = re.compile(r"^目標\*?$")  # the required field's label ends in crispy's asterisk
STALE = "このシートは、あなたが開いた後に他の人が更新しました。"

# (区分, 目標, 具体的な取組内容) of 企画課's three goals
GOALS = [
    (
        "対面",
        "来庁者の用件を最初の応対で的確に把握し、迅速に案内します。",
        "課内会議で各担当の業務を共有し、担当者が不在でも案内できるようにします。",
    ),
    (
        "庁内体制",
        "区民から寄せられた意見・要望を関係課と共有します。",
        "意見・要望の処理状況を四半期ごとに集約し、区役所全体で共有します。",
    ),
    (
        "お知らせ",
        "区の事業やイベントの情報を分かりやすく発信します。",
        "市政だより区版、ホームページ、SNSを使い分け、適切な時期に発信します。",
    ),
]
INSERTED = "受付から1週間以内に"
GOAL_2_REVISED = f"区民から寄せられた意見・要望を、{INSERTED}関係課と共有します。"
RETURN_COMMENT = "目標2をより具体的にしてください。"
# (実施結果, 目標の達成度) of each goal
RESULTS = [
    (
        "課内会議を毎月開催し、担当外の問い合わせにも案内できました。",
        "来庁者を待たせる場面が減りました。",
    ),
    ("意見・要望を受付から1週間以内に関係課へ共有しました。", "対応の重複がなくなりました。"),
    ("市政だより区版とSNSで事業を毎月発信しました。", "イベントの参加者が増えました。"),
]


# --- Setting the scene -------------------------------------------------------------------------


def department(name):
    return Department.objects.get(office__slug="nakahara", name=name)


def sheet_of(name):
    return GoalSheet.objects.get(fiscal_year__year=YEAR, department__name=name)


def member(username, last_name, first_name, department_name, role):
    user = UserFactory(username=username, last_name=last_name, first_name=first_name)
    MembershipFactory(user=user, department=department(department_name), role=role)
    return user


@pytest.fixture
def year(seed_year):
    """令和3年度 opened from the real 2020 table: 目標設定 open for a week, every sheet empty."""
    fiscal_year = fiscal_year_open_next(
        previous=seed_year, plan_deadline=timezone.localdate() + datetime.timedelta(days=7)
    )
    assert fiscal_year.sheets.count() == SHEETS
    assert not Goal.objects.filter(sheet__fiscal_year=fiscal_year).exists()
    return fiscal_year


@pytest.fixture
def people(year):
    return SimpleNamespace(
        editor=member("kikaku", "企画", "花子", KIKAKU, Role.EDITOR),
        editor2=member("kikaku2", "企画", "次郎", KIKAKU, Role.EDITOR),
        approver=member("shonin", "総務", "太郎", SOUMU, Role.APPROVER),
        approver2=member("shonin2", "総務", "明子", SOUMU, Role.APPROVER),
        viewer=member("etsuran", "閲覧", "一郎", KIKAKU, Role.VIEWER),
    )


@pytest.fixture
def new_page(browser, live_server):
    """new_page() opens a page in a context of its own (own cookies): one person's browser."""
    contexts = []

    def open_page():
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 800}, base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(
            lambda url: (
                not url.startswith(live_server.url) and not url.startswith(("data:", "about:"))
            ),
            lambda route: route.abort(),
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, user):
    """Through the real login form, as the person would; ends on the staff home page."""
    page.goto("/staff/")
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="職員ホーム", level=1)).to_be_visible()
    return page


# --- Finding things on the pages ---------------------------------------------------------------


def row_of(page, department_name):
    """The table row led by the department's name (home page and dashboard)."""
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=department_name, exact=True)
    )


def dashboard_status(page, department_name):
    """The dashboard's 状態 cells of the department: (目標設定, 実績報告)."""
    cells = row_of(page, department_name).get_by_role("cell")
    return cells.nth(0), cells.nth(4)  # 状態・読みやすさ・最終提出・操作 for each phase


def row_action(page, action, department_name, subject):
    """A dashboard action link, "差戻し: まちづくり推進部 企画課の目標" to a screen reader.

    Chromium reads the visually hidden part of the name as a block: "差戻し : ...".
    """
    name = re.compile(rf"^{action}\s*: {re.escape(department_name)}の{subject}$")
    return page.get_by_role("link", name=name)


def goal_group(page, number):
    """The fieldset of one goal: "目標 2" (a saved goal) or "目標 2 (新規)"."""
    return page.get_by_role("group", name=re.compile(rf"^目標 {number}(?: \(新規\))?$"))


def counted(textbox):
    """Wait for the page's script: it adds the live character count to the field's description.

    The script is deferred, so a field can be typed into before it listens (no preview then).
    """
    expect(textbox).to_have_accessible_description(re.compile(r"\d+ / \d+ 文字$"))
    return textbox


def table_region(page, name):
    """The scrolling box of a table: it has the name of the <section> around it (the inner one)."""
    return page.get_by_role("region", name=name, exact=True).last


def message(page):
    """The messages shown after a step (role=status)."""
    return page.get_by_role("status")


def progress(page, phase_label):
    return page.get_by_role("progressbar", name=f"{phase_label}の承認済シート")


class A11y:
    """axe-core results per page, asserted together at the end with every page's violations."""

    def __init__(self, axe):
        self.axe, self.results = axe, {}

    def check(self, name, page):
        self.results[name] = (page.url, self.axe(page))

    def assert_clean(self, expected):
        assert sorted(self.results) == sorted(expected), "pages not checked"
        failures = [
            f"{name} ({url}): {violations}"
            for name, (url, violations) in self.results.items()
            if violations
        ]
        assert not failures, "\n\n".join(failures)


# --- The year ------------------------------------------------------------------------------------


def test_a_year_from_the_first_goal_to_the_approved_results(new_page, people, year, axe):
    a11y = A11y(axe)

    # 1. The editor starts: 企画課's sheet is 未着手 and the page says what to do next.
    editor = log_in(new_page(), people.editor)
    kikaku = row_of(editor, KIKAKU)
    expect(kikaku.get_by_role("cell").nth(0)).to_have_text("目標: 未着手")
    expect(editor.get_by_text("締切まであと 7 日")).to_be_visible()
    a11y.check("home (editor)", editor)
    kikaku.get_by_role("link", name="目標を入力する").click()

    expect(editor.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    preview = table_region(editor, "プレビュー (公表する表での見え方)")
    expect(preview).to_contain_text("まだ目標がありません。")
    for number, (category, objective, actions) in enumerate(GOALS, start=1):
        goal = goal_group(editor, number)
        text = goal.get_by_role("textbox", name=OBJECTIVE)
        expect(text).to_have_accessible_description(re.compile(r"0 / 400 文字$"))
        goal.get_by_label(category, exact=True).check()
        text.fill(objective)
        expect(text).to_have_accessible_description(re.compile(rf"{len(objective)} / 400 文字$"))
        goal.get_by_label("具体的な取組内容").fill(actions)
        expect(goal.get_by_label("具体的な取組内容")).to_have_accessible_description(
            re.compile(rf"{len(actions)} / 600 文字$")
        )
        # The preview shows the typed goal as the public table will (nothing saved yet).
        row = preview.get_by_role("row").filter(
            has=editor.get_by_role("rowheader", name=re.compile(rf"^目標\s?{number}$"))
        )
        expect(row).to_contain_text(objective)
        expect(row).to_contain_text(actions)
        expect(row).to_contain_text(category)
    assert not Goal.objects.filter(sheet__fiscal_year=year).exists()
    a11y.check("plan edit (preview filled)", editor)

    editor.get_by_role("button", name="保存して提出").click()
    expect(message(editor)).to_contain_text("保存して提出しました。総務課の承認をお待ちください。")
    expect(editor.get_by_role("heading", name=KIKAKU, level=1)).to_be_visible()
    expect(editor.get_by_role("definition").first).to_have_text("提出済")  # 目標
    sheet = sheet_of(KIKAKU)
    assert sheet.plan_status == SheetStatus.SUBMITTED
    assert list(sheet.goals.order_by("number").values_list("objective", flat=True)) == [
        g[1] for g in GOALS
    ]

    # 2. The approver finds it on the dashboard and returns it with a comment.
    approver = log_in(new_page(), people.approver)
    approver.get_by_role("link", name="全部署の提出状況").click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text(
        f"{YEAR_LABEL} (2021年度) 審査状況"
    )
    plan_status, result_status = dashboard_status(approver, KIKAKU)
    expect(plan_status).to_have_text("提出済")
    expect(result_status).to_have_text("未着手")
    expect(progress(approver, "目標設定")).to_have_attribute(
        "aria-valuetext", f"承認済 0 / {SHEETS}"
    )
    expect(approver.get_by_role("list", name="目標設定の状態別の部署数")).to_contain_text(
        "提出済 1"
    )
    row_action(approver, "差戻し", KIKAKU, "目標").click()

    expect(approver.get_by_role("heading", name="目標設定の差戻しの確認")).to_be_visible()
    expect(approver.get_by_role("table", name=f"{KIKAKU} {YEAR_LABEL}の目標")).to_contain_text(
        GOALS[1][1]
    )
    approver.get_by_label("差戻しの理由 (部署に表示されます)").fill(RETURN_COMMENT)
    a11y.check("review confirm (差戻し)", approver)
    approver.get_by_role("button", name="差し戻す").click()
    expect(message(approver)).to_contain_text(f"{KIKAKU}の目標設定を差し戻しました。")
    expect(dashboard_status(approver, KIKAKU)[0]).to_have_text("差戻し")

    # 3. The editor reads the comment, revises goal 2 and submits again.
    editor.goto("/staff/")
    kikaku = row_of(editor, KIKAKU)
    expect(kikaku.get_by_role("cell").nth(0)).to_have_text("目標: 差戻し")
    expect(kikaku.get_by_role("blockquote")).to_have_text(RETURN_COMMENT)
    kikaku.get_by_role("link", name="差戻しの内容を確認して再提出する").click()

    notice = editor.get_by_role("region", name="目標設定が差し戻されました")
    expect(notice).to_contain_text(RETURN_COMMENT)
    expect(notice).to_contain_text("総務 太郎")
    editor.get_by_role("link", name="目標を編集").click()
    goal_2 = goal_group(editor, 2).get_by_role("textbox", name=OBJECTIVE)
    expect(goal_2).to_have_value(GOALS[1][1])
    counted(goal_2).fill(GOAL_2_REVISED)
    expect(table_region(editor, "プレビュー (公表する表での見え方)")).to_contain_text(
        GOAL_2_REVISED
    )
    editor.get_by_role("button", name="保存 (下書き)").click()
    expect(message(editor)).to_contain_text("下書きを保存しました。")
    editor.get_by_role("link", name="目標を再提出").click()

    expect(editor.get_by_role("heading", name="目標を再提出しますか")).to_be_visible()
    expect(table_region(editor, "提出する内容")).to_contain_text(GOAL_2_REVISED)
    a11y.check("submit confirm", editor)
    editor.get_by_role("button", name="再提出する").click()
    expect(message(editor)).to_contain_text("提出しました。総務課の承認をお待ちください。")
    expect(editor.get_by_role("definition").first).to_have_text("提出済")

    # The approver sees what changed since the return, then approves.
    approver.reload()
    expect(dashboard_status(approver, KIKAKU)[0]).to_have_text("提出済")
    row_action(approver, "差戻しからの変更", KIKAKU, "目標").click()
    expect(
        approver.get_by_role("heading", name="前回の差戻しからの変更 (目標設定)")
    ).to_be_visible()
    expect(approver.get_by_text(RETURN_COMMENT)).to_be_visible()
    changed = approver.get_by_role("region", name=re.compile(r"^目標2"))
    expect(changed.get_by_role("insertion")).to_have_text(re.compile(INSERTED))
    for unchanged in (1, 3):
        expect(
            approver.get_by_role("region", name=re.compile(rf"^目標{unchanged}"))
        ).to_contain_text("変更はありません。")
    a11y.check("changes since the return", approver)
    approver.get_by_role("link", name="承認の確認へ").click()

    expect(approver.get_by_role("heading", name="目標設定の承認の確認")).to_be_visible()
    approver.get_by_role("button", name="承認する").click()
    expect(message(approver)).to_contain_text(f"{KIKAKU}の目標設定を承認しました。")
    expect(dashboard_status(approver, KIKAKU)[0]).to_have_text("承認済")
    expect(progress(approver, "目標設定")).to_have_attribute(
        "aria-valuetext", f"承認済 1 / {SHEETS}"
    )

    # 4. The approver closes 目標設定 and opens 実績報告 on the years page.
    approver.get_by_role("link", name="年度の管理 (受付・締切の設定)").click()
    expect(approver.get_by_role("heading", name=re.compile("^年度の管理"), level=1)).to_be_visible()
    a11y.check("years (approver)", approver)
    plan_form = approver.get_by_role("group", name="目標設定 (現在: 受付中)")
    plan_form.get_by_label("受付終了").check()
    approver.get_by_role("button", name=f"{YEAR_LABEL}の目標設定を更新").click()
    expect(message(approver)).to_contain_text(f"{YEAR_LABEL}の目標設定の受付を終了しました。")
    result_deadline = timezone.localdate() + datetime.timedelta(days=30)
    result_form = approver.get_by_role("group", name="実績報告 (現在: 受付終了)")
    result_form.get_by_label("受付中").check()
    result_form.get_by_label("締切日").fill(result_deadline.isoformat())
    approver.get_by_role("button", name=f"{YEAR_LABEL}の実績報告を更新").click()
    expect(message(approver)).to_contain_text(f"{YEAR_LABEL}の実績報告の受付を開始しました。")
    year.refresh_from_db()
    assert (year.plan_open, year.result_open, year.result_deadline) == (
        False,
        True,
        result_deadline,
    )

    # The editor reports the results of the approved goals.
    editor.goto("/staff/")
    kikaku = row_of(editor, KIKAKU)
    expect(kikaku.get_by_role("cell").nth(1)).to_have_text("実績: 未着手")
    kikaku.get_by_role("link", name="実績を入力する").click()
    expect(editor.get_by_role("heading", name="実績の入力", level=1)).to_be_visible()
    preview = table_region(editor, "プレビュー (公表する表での見え方)")
    for number, (done, achievement) in enumerate(RESULTS, start=1):
        goal = editor.get_by_role("group", name=f"目標 {number}", exact=True)
        approved = {2: GOAL_2_REVISED}.get(number, GOALS[number - 1][1])
        expect(goal.get_by_role("group", name=f"目標 {number}の内容 (承認済み)")).to_contain_text(
            approved
        )
        counted(goal.get_by_label("実施結果")).fill(done)
        goal.get_by_label("目標の達成度").fill(achievement)
        row = preview.get_by_role("row").filter(
            has=editor.get_by_role("rowheader", name=re.compile(rf"^目標\s?{number}$"))
        )
        expect(row).to_contain_text(done)
        expect(row).to_contain_text(achievement)
    a11y.check("results edit (preview filled)", editor)
    editor.get_by_role("button", name="保存して提出").click()
    expect(message(editor)).to_contain_text("保存して提出しました。総務課の承認をお待ちください。")
    statuses = editor.get_by_role("definition")
    expect(statuses.nth(0)).to_have_text("承認済")  # 目標
    expect(statuses.nth(1)).to_have_text("提出済")  # 実績
    expect(table_region(editor, "目標と実績")).to_contain_text(RESULTS[2][0])
    a11y.check("sheet (editor)", editor)

    # The approver approves the results: both phases of 企画課 are done.
    approver.get_by_role("link", name=f"{YEAR_LABEL} (2021年度)").click()
    expect(dashboard_status(approver, KIKAKU)[1]).to_have_text("提出済")
    row_action(approver, "承認", KIKAKU, "実績").click()
    expect(approver.get_by_role("heading", name="実績報告の承認の確認")).to_be_visible()
    approver.get_by_role("button", name="承認する").click()
    expect(message(approver)).to_contain_text(f"{KIKAKU}の実績報告を承認しました。")
    plan_status, result_status = dashboard_status(approver, KIKAKU)
    expect(plan_status).to_have_text("承認済")
    expect(result_status).to_have_text("承認済")
    for phase_label in ("目標設定", "実績報告"):
        expect(progress(approver, phase_label)).to_have_attribute(
            "aria-valuetext", f"承認済 1 / {SHEETS}"
        )
    expect(approver.get_by_text(f"承認済 1 / {SHEETS}")).to_have_count(2)
    a11y.check("dashboard (approver)", approver)

    sheet.refresh_from_db()
    assert (sheet.plan_status, sheet.result_status) == (SheetStatus.APPROVED, SheetStatus.APPROVED)
    actions = list(sheet.events.order_by("created_at", "pk").values_list("phase", "action"))
    assert actions == [
        (Phase.PLAN, EventAction.SAVE),
        (Phase.PLAN, EventAction.SUBMIT),
        (Phase.PLAN, EventAction.RETURN),
        (Phase.PLAN, EventAction.SAVE),
        (Phase.PLAN, EventAction.SUBMIT),
        (Phase.PLAN, EventAction.APPROVE),
        (Phase.RESULT, EventAction.SAVE),
        (Phase.RESULT, EventAction.SUBMIT),
        (Phase.RESULT, EventAction.APPROVE),
    ]

    # 5. WCAG 2.1 A/AA on every page on the way.
    a11y.assert_clean(
        [
            "home (editor)",
            "plan edit (preview filled)",
            "review confirm (差戻し)",
            "submit confirm",
            "changes since the return",
            "years (approver)",
            "results edit (preview filled)",
            "sheet (editor)",
            "dashboard (approver)",
        ]
    )


# --- No lost edits -------------------------------------------------------------------------------


def test_a_save_over_someone_elses_keeps_what_was_typed_and_shows_their_save(
    new_page, people, year, axe
):
    text_a = "窓口の案内表示を見直し、来庁者が迷わないようにします。"
    text_b = "電話の問い合わせに、担当者が不在でも答えられるようにします。"
    url = f"/staff/nakahara/{YEAR}/sheets/{department(KIKAKU).code}/"
    page_a, page_b = log_in(new_page(), people.editor), log_in(new_page(), people.editor2)
    for page, text in ((page_a, text_a), (page_b, text_b)):
        page.goto(url)
        page.get_by_role("link", name="目標を編集").click()
        goal_group(page, 1).get_by_role("textbox", name=OBJECTIVE).fill(text)

    page_a.get_by_role("button", name="保存 (下書き)").click()
    expect(message(page_a)).to_contain_text("下書きを保存しました。")

    page_b.get_by_role("button", name="保存 (下書き)").click()
    expect(page_b.get_by_role("alert")).to_contain_text(STALE)
    expect(page_b.get_by_role("alert")).to_contain_text("入力内容は残してあります。")
    expect(goal_group(page_b, 1).get_by_role("textbox", name=OBJECTIVE)).to_have_value(text_b)
    theirs = table_region(page_b, "他の人が保存した最新の内容")
    expect(theirs).to_contain_text(text_a)
    expect(
        page_b.get_by_text(re.compile(r"企画 花子 さんが.+に保存した内容です。"))
    ).to_be_visible()
    expect(theirs).not_to_contain_text(text_b)
    violations = axe(page_b)
    assert not violations, f"plan edit after a clash: {violations}"

    assert list(sheet_of(KIKAKU).goals.values_list("objective", flat=True)) == [text_a]


# --- Separation of duties ------------------------------------------------------------------------


def test_an_approver_cannot_approve_what_they_submitted_but_another_approver_can(
    new_page, people, year
):
    # The approver writes and submits 総務課's own sheet (through the services).
    sheet = sheet_of(SOUMU)
    sheet = sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=1, objective="庁舎内の掲示物を見やすく整理します。")],
        expected_version=sheet.version,
        by=people.approver,
    )
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=people.approver)

    approver = log_in(new_page(), people.approver)
    approver.get_by_role("link", name="全部署の提出状況").click()
    soumu = row_of(approver, SOUMU)
    expect(dashboard_status(approver, SOUMU)[0]).to_have_text("提出済")
    expect(soumu).to_contain_text(OWN_SUBMISSION)
    expect(row_action(soumu, "承認", SOUMU, "目標")).to_have_count(0)
    expect(row_action(soumu, "差戻し", SOUMU, "目標")).to_be_visible()
    # The sheet page says the same instead of offering 目標を承認; the confirm page, reached by
    # its address, explains itself and stops.
    soumu.get_by_role("link", name=SOUMU, exact=True).click()
    expect(approver.get_by_role("link", name="目標を承認")).to_have_count(0)
    expect(approver.get_by_text(OWN_SUBMISSION).first).to_be_visible()
    approver.goto(approver.url + "approve/plan/")
    expect(approver.get_by_text(f"承認できません: {OWN_SUBMISSION}")).to_be_visible()
    expect(approver.get_by_role("button", name="承認する")).to_have_count(0)

    # A viewer sees the state but no step to take.
    viewer = log_in(new_page(), people.viewer)
    viewer.get_by_role("link", name="全部署の提出状況").click()
    expect(dashboard_status(viewer, SOUMU)[0]).to_have_text("提出済")
    expect(row_of(viewer, SOUMU).get_by_role("link")).to_have_text([SOUMU])

    # Another approver approves it.
    approver2 = log_in(new_page(), people.approver2)
    approver2.get_by_role("link", name="全部署の提出状況").click()
    expect(row_of(approver2, SOUMU)).not_to_contain_text(OWN_SUBMISSION)
    row_action(approver2, "承認", SOUMU, "目標").click()
    approver2.get_by_role("button", name="承認する").click()
    expect(message(approver2)).to_contain_text(f"{SOUMU}の目標設定を承認しました。")
    expect(dashboard_status(approver2, SOUMU)[0]).to_have_text("承認済")

    approval = ReviewEvent.objects.get(sheet=sheet, action=EventAction.APPROVE)
    assert approval.actor == people.approver2


# --- Submitting once -------------------------------------------------------------------------------


def test_a_double_click_on_submit_submits_once(new_page, people, year):
    sheet = sheet_of(KIKAKU)
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(number=1, objective=GOALS[0][1], actions=GOALS[0][2])],
        expected_version=sheet.version,
        by=people.editor,
    )
    editor = log_in(new_page(), people.editor)
    row_of(editor, KIKAKU).get_by_role("link", name=KIKAKU, exact=True).click()
    editor.get_by_role("link", name="目標を提出").click()
    expect(editor.get_by_role("heading", name="目標を提出しますか")).to_be_visible()
    editor.wait_for_load_state("domcontentloaded")  # the page's (deferred) script is listening

    # The POST is held on its way, as on a slow day: the page stays, and so does the button.
    held = []
    editor.route(
        re.compile(r"/submit/plan/$"),
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    submit = editor.get_by_role("button", name="提出する")
    box = submit.bounding_box()
    submit.dblclick()
    editor.wait_for_timeout(300)
    # An impatient third click, by position: locators wait for the pending navigation.
    editor.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    editor.wait_for_timeout(300)
    sent = len(held)
    for route in held:
        route.continue_()

    expect(message(editor)).to_have_text("提出しました。総務課の承認をお待ちください。")
    expect(editor.get_by_role("definition").first).to_have_text("提出済")
    assert sent == 1, f"{sent} submissions were sent"
    submits = ReviewEvent.objects.filter(sheet=sheet, action=EventAction.SUBMIT)
    assert submits.count() == 1
