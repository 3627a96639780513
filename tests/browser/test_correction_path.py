"""A typo found after 公表, corrected by 総務課 in a real browser, counting the pages.

The goals table is published and 目標設定 is closed for the whole ward. An approver reads the
public page, starts the correction there (「訂正する」, shown to the office's approvers only),
reopens that one sheet with a reason, fixes the typo on the department's form as 代理入力 and
submits; the other approver approves and publishes the corrected version (訂正版). The other
departments' sheets stay closed throughout. The server's side: tests/goals/test_proxy_entry.py.
"""

import re
from urllib.parse import urlparse

import pytest
from django.urls import resolve
from playwright.sync_api import expect

from departments.models import Role
from goals.models import Goal, GoalSheet, Phase, ReviewEvent, SheetStatus
from goals.services import fiscal_year_set_phase
from tests.factories import DepartmentFactory, FiscalYearFactory, MembershipFactory, UserFactory
from tests.reports.publishing import publish, use_tmp_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
TYPO = "窓口で要件を伺い、担当へご案内します。"
FIXED = "窓口で用件を伺い、担当へご案内します。"
OBJECTIVE = re.compile(r"^目標\*?$")


@pytest.fixture
def published(settings, tmp_path):
    """A small ward's 2021 goals, approved and published (第1版), then 目標設定 closed; two approvers."""
    use_tmp_media(settings, tmp_path)
    year = FiscalYearFactory(plan_open=True)
    office = year.office
    soumu = DepartmentFactory(office=office, name="総務部 総務課")
    window = DepartmentFactory(office=office, name="市民部 窓口課")
    DepartmentFactory(office=office, name="市民部 保険年金課")
    approvers = []
    for last, first in (("承認", "花子"), ("審査", "次郎")):
        user = UserFactory(last_name=last, first_name=first)
        MembershipFactory(user=user, department=soumu, role=Role.APPROVER)
        approvers.append(user)
    for department in office.departments.all():
        sheet = GoalSheet.objects.create(fiscal_year=year, department=department)
        objective = TYPO if department == window else f"{department.name}の窓口で分かりやすく案内します。"
        Goal.objects.create(sheet=sheet, number=1, objective=objective)
    GoalSheet.objects.filter(fiscal_year=year).update(plan_status=SheetStatus.APPROVED)
    publish(year, "plan")
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    return year, window, approvers


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def test_a_typo_is_corrected_and_published_again_in_five_pages(page, axe, published):
    year, window, (first, second) = published
    public = f"/reports/{year.office.slug}/{year.year}/"
    log_in(page, first)
    seen = []  # every page the approvers see from the public page on (where a redirect ends)
    # Recorded when each page is committed: a page's "load" event may never come when the test
    # acts on it (clicks on) before its last resource has arrived.
    page.on(
        "framenavigated",
        lambda frame: seen.append(resolve(urlparse(frame.url).path).view_name) if frame == page.main_frame else None,
    )

    # 1. The public page, with 「訂正する」 for the office's approvers.
    page.goto(public)
    expect(page.get_by_text(TYPO)).to_be_visible()
    panel = page.get_by_role("region", name="職員用: この表を訂正する")
    panel.get_by_text(re.compile(r"^部署を選ぶ")).click()
    assert not axe(page), str(axe(page))
    panel.get_by_role("link", name="訂正する (市民部 窓口課)").click()

    # 2. 承認取消 with the reason: the page says the phase is closed and opens this sheet alone.
    expect(page.get_by_role("heading", level=1)).to_have_text("目標設定の承認取消の確認")
    warning = page.get_by_role("region", name="目標設定の受付は終了しています")
    expect(warning).to_contain_text("市民部 窓口課の目標設定だけが訂正のために開きます")
    assert not axe(page), str(axe(page))
    page.get_by_label(re.compile("承認を取り消す理由")).fill("目標1の「要件」は「用件」の誤りです。")
    page.get_by_role("button", name="承認を取り消して代理入力で直す").click()

    # 3. The department's form, filled in by 総務課 (代理入力), and 保存して提出.
    expect(page.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()
    goal = page.get_by_role("group", name=re.compile(r"^目標 1$"))
    goal.get_by_role("textbox", name=OBJECTIVE).fill(FIXED)
    page.get_by_role("button", name="保存して提出").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("保存して提出しました (代理入力)。このシートを承認できるのは、審査 次郎 さんです。")
    expect(page.get_by_text("代理入力: 承認 花子").first).to_be_visible()
    # The other departments stay closed: nothing to edit there.
    assert not GoalSheet.objects.filter(fiscal_year=year).exclude(department=window).exclude(correction="").exists()
    page.get_by_role("button", name="ログアウト").click()

    # 4. The other approver approves (from the worklist on the home page after logging in).
    log_in(page, second)
    page.get_by_role("link", name="確認して承認 (市民部 窓口課)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("目標設定の承認の確認")
    expect(page.get_by_text("代理入力: 承認 花子").first).to_be_visible()
    page.get_by_role("button", name="承認する").click()

    # 5. 公表 of the corrected version, straight after the approval.
    expect(page.get_by_role("status")).to_contain_text("市民部 窓口課の目標設定の訂正を承認しました")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(訂正)")
    page.get_by_label(re.compile("訂正内容")).fill("市民部 窓口課の目標1の誤字 (要件→用件) を訂正しました。")
    page.get_by_label("内容を確認しました。公表します。").check()
    page.get_by_role("button", name=re.compile("訂正して公表する$")).click()
    expect(page.get_by_text("状態: 公表済")).to_be_visible()
    page.wait_for_load_state("load")
    steps = [view for view in seen if view not in ("login", "home")]  # logging in, the front page after logging out

    page.goto(public)
    expect(page.get_by_text(FIXED)).to_be_visible()
    expect(page.get_by_text("第2版 (目標)")).to_be_visible()
    assert GoalSheet.objects.get(fiscal_year=year, department=window).correction == ""
    assert ReviewEvent.objects.filter(sheet__department=window, on_behalf=True).count() == 2  # 保存 and 提出

    # The pages, logging in and out aside: five on which an approver acts (the public page,
    # 承認取消, the form, 承認, 公表), and what each step lands on (the sheet after 提出, the
    # second approver's home with its worklist, 公表's progress).
    assert steps == [
        "reports:year", "goals:reopen", "goals:plan_edit", "goals:sheet",
        "goals:home", "goals:approve", "publishing:publish", "publishing:progress",
    ]
    acting = [view for view in steps if view not in ("goals:sheet", "goals:home", "publishing:progress")]
    assert len(acting) == 5
