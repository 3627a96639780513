"""The writing aid in a real browser: typing in the goals form brings its やさしい日本語 hints
silently beside the preview, the page stays axe-clean, and nothing is saved by it. The server's
side is in tests/goals/test_writing_aid.py."""

import io
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from plain.services import glossary_add_standard
from tests.browser.conftest import AXE_TAGS_WCAG22

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
OBJECTIVE = re.compile(r"^目標\*?$")
HARD = (
    "区役所サービス基準を遵守し、来庁者のニーズを的確に把握するとともに、窓口において各担当が"
    "不在にしている場合でも最低限の対応ができるよう知識の習熟と情報共有に努めます。"
)
ACTIONS = "毎週ミーティングを行い、対応できないわけではない案件も課内で共有します。"


def open_goals_form(page, editor, sheet):
    glossary_add_standard(office=sheet.fiscal_year.office)
    fy = sheet.fiscal_year
    form = reverse("goals:plan_edit", kwargs={"office": fy.office.slug, "year": fy.year, "code": sheet.department.code})
    page.goto(form)
    page.get_by_label("ユーザー名").fill(editor.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="目標の入力", level=1)).to_be_visible()


def type_goal(page):
    goal = page.get_by_role("group", name=re.compile(r"^目標 1(?: \(新規\))?$"))
    goal.get_by_role("textbox", name=OBJECTIVE).fill(HARD)
    goal.get_by_role("textbox", name="具体的な取組内容").fill(ACTIONS)


def test_hints_follow_the_typing_quietly_and_save_nothing(page, editor, sheet, axe):
    open_goals_form(page, editor, sheet)
    aid = page.get_by_role("region", name="やさしい日本語のヒント")
    expect(aid).to_contain_text("まだ文章がありません。")
    type_goal(page)

    expect(aid).to_contain_text("「遵守」は「守る」など、やさしい言葉に言い換えられます。")
    expect(aid).to_contain_text("カタカナ語「ミーティング」")
    expect(aid).to_contain_text("「ないわけではない」は二重否定です。")
    expect(aid.get_by_role("heading", name="目標 1 — 目標", level=3)).to_be_visible()
    assert aid.locator("[aria-live]").count() == 0  # quiet while the person types
    # Each field's heading takes the person back to the field.
    aid.get_by_role("link", name="目標 1 — 具体的な取組内容").click()
    expect(page.get_by_role("textbox", name="具体的な取組内容").first).to_be_focused()
    violations = axe(page, tags=AXE_TAGS_WCAG22)
    assert not violations, str(violations)
    assert not sheet.goals.exists()


@pytest.mark.skipif(
    os.environ.get("WARDSERVICE_SCREENSHOTS") != "1",
    reason="set WARDSERVICE_SCREENSHOTS=1 to write docs/writing-aid.png",
)
def test_write_writing_aid_screenshot(page, editor, sheet):
    open_goals_form(page, editor, sheet)
    type_goal(page)
    aid = page.locator("#writing-aid")
    expect(aid).to_contain_text("「ないわけではない」は二重否定です。")
    # The goal as typed, then its hints (the form is long: two pieces, one above the other).
    page.locator(".form-actions").evaluate("bar => { bar.style.position = 'static'; }")  # not over the goal
    pieces = [page.locator("#goals-0-fieldset").screenshot(), aid.screenshot()]
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pieces]
    margin = 16
    width = max(image.width for image in images) + 2 * margin
    combined = Image.new("RGB", (width, sum(image.height + margin for image in images) + margin), "white")
    y = margin
    for image in images:
        combined.paste(image, (margin, y))
        y += image.height + margin
    path = PROJECT_ROOT / "docs" / "writing-aid.png"
    combined.quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    assert path.stat().st_size <= 400_000
