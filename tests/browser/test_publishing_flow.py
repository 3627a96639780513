"""公表 in a real browser: an approver checks the 2021 plan table on the confirmation page, is refused
without the explicit confirmation, publishes it and watches it being made; then a visitor finds
the year on the front page, reads it and downloads the PDF and the CSV."""

import re

import pytest
from playwright.sync_api import expect

from goals.models import Goal, GoalSheet, SheetStatus
from goals.services import fiscal_year_open_next
from reports.models import Publication, PublicationStatus
from reports.tasks import render_publication
from tests.reports.publishing import use_tmp_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
PUBLISH_URL = "/staff/nakahara/2021/publish/"
YEAR_LINK = "令和3年度 (2021年度)"
YEAR_TITLE = "令和3年度 中原区役所サービス向上目標"


@pytest.fixture
def planned_2021(seed_year, settings, tmp_path):
    """2021 opened from the seed year, every sheet with one goal and its plan approved."""
    use_tmp_media(settings, tmp_path)
    fiscal_year = fiscal_year_open_next(previous=seed_year)
    for sheet in GoalSheet.objects.filter(fiscal_year=fiscal_year).select_related("department"):
        Goal.objects.create(
            sheet=sheet, number=1, objective=f"{sheet.department.name}の窓口で分かりやすく案内します。"
        )
    GoalSheet.objects.filter(fiscal_year=fiscal_year).update(plan_status=SheetStatus.APPROVED)
    return fiscal_year


@pytest.fixture
def queued_tasks(settings):
    """Tasks are queued and wait for a worker, as in production, so the progress can be watched."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def run_the_worker():
    """What `manage.py db_worker` does with the queued version: render and publish it."""
    publication = Publication.objects.get(status=PublicationStatus.PENDING)
    render_publication.call(publication.pk)


def test_an_approver_publishes_and_a_visitor_downloads(page, axe, planned_2021, approver, queued_tasks):
    log_in(page, approver)
    page.goto(PUBLISH_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("令和3年度 (2021年度) 公表")
    result = page.get_by_role("region", name="目標と実績の表")
    expect(result).to_contain_text("まだ公表できません")
    expect(result.get_by_role("table", name=re.compile("実績が承認されていない部署"))).to_be_visible()
    assert not axe(page), str(axe(page))

    plan = page.get_by_role("region", name="目標の表 (目標のみ)")
    expect(plan).to_contain_text("第1版として公表します")
    plan.get_by_role("link", name="目標の表を確認して公表する").click()

    # The confirmation: what will be public, the table as it will be frozen, the preview PDF.
    expect(page.get_by_role("heading", level=1)).to_contain_text("令和3年度 (2021年度) 目標の表の公表")
    sheets = planned_2021.sheets.count()
    summary = page.get_by_role("region", name="公表の内容")
    expect(summary).to_contain_text("第1版 — 初めての公表")
    expect(summary).to_contain_text(f"{sheets}部署、目標{sheets}件")
    preview = page.get_by_role("table", name=YEAR_TITLE)
    expect(preview.get_by_role("row").filter(has_text="の窓口で分かりやすく案内します。")).to_have_count(sheets)
    expect(page.get_by_role("link", name="プレビューのPDFを開く")).to_be_visible()

    # Without the confirmation nothing is published: the error summary says why and has focus.
    # (axe checks the page in this state: all of it, with the summary and the field's error.)
    page.get_by_role("button", name="目標の表を公表する").click()
    expect(page).to_have_title(re.compile(r"^エラー: "))
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("内容を確認しました。公表します。: 公表するには、表の内容を確認してからチェックを入れてください。")
    assert not Publication.objects.exists()
    assert not axe(page), str(axe(page))
    page.get_by_label("内容を確認しました。公表します。").check()
    page.get_by_role("button", name="目標の表を公表する").click()

    # The version waits for the worker; the page says so and keeps asking.
    expect(page.get_by_role("heading", level=1)).to_contain_text("第1版 (目標) の公表")
    progress = page.get_by_label("ファイル作成の進捗")
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_text("状態: 公表待ち")).to_be_visible()
    assert not axe(page), str(axe(page))

    run_the_worker()

    expect(page.get_by_text("状態: 公表済")).to_be_visible()
    expect(page.get_by_label("ファイル作成の進捗")).to_have_attribute("value", "100")
    expect(page.get_by_role("table", name="公表したファイル").get_by_role("row")).to_have_count(5)

    page.get_by_role("button", name="ログアウト").click()
    page.goto("/")
    office = page.get_by_role("region", name=re.compile("中原区役所"))
    office.get_by_role("link", name=YEAR_LINK).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(YEAR_TITLE)
    expect(page.get_by_role("table", name=YEAR_TITLE)).to_be_visible()
    expect(page.get_by_role("columnheader", name="実施結果及び目標の達成度")).to_have_count(0)
    expect(page.get_by_text("第1版 (目標)")).to_be_visible()
    assert not axe(page), str(axe(page))
    downloads = page.get_by_role("region", name="ダウンロード")
    # The PDF opens in the browser's viewer; its second link saves it.
    for name, magic in [("PDFを保存 (ダウンロード)", b"%PDF-"), ("CSV (オープンデータ、UTF-8)", b"\xef\xbb\xbf")]:
        with page.expect_download() as download:
            downloads.get_by_role("link", name=name, exact=True).click()
        with open(download.value.path(), "rb") as file:
            assert file.read(len(magic)) == magic, name
