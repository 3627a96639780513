"""Hypothesis through the upload pages: whatever is uploaded, a page or a Japanese message, never a 500.

- The entry workbook: arbitrary text typed into the editable cells of a downloaded workbook
  (with openpyxl, as text cells, the way Excel stores what a person types) is either previewed
  and saved by 確定 exactly as the application keeps text — line breaks as "\\n", no blank edges,
  the same normalisation as the web form (goals.validators.normalise_text) — or refused with
  Japanese messages, and then nothing in the database changes. Which of the two is predicted
  from the rules (length limits, control characters, 目標 required, characters XML cannot hold).
- The past-year page: random text, random bytes and damaged copies of the real seed give a
  preview or a Japanese message; nothing but the pending upload is written before 確定, and 確定
  imports or refuses with a message.

Each example runs in a transaction that is rolled back, so every one starts from the same state.
"""

import operator
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from departments.models import Role
from goals.models import (
    MAX_ACHIEVEMENT,
    MAX_ACTIONS,
    MAX_DONE,
    MAX_OBJECTIVE,
    MAX_OMITTED_REASON,
    GoalSheet,
    Phase,
)
from goals.selectors import content_entry, result_entry, sheet_content
from goals.services import (
    GoalInput,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_save_plan,
    sheet_submit,
)
from goals.validators import normalise_text, validate_plain_text
from reports.models import PendingUpload
from tests.personas import KIKAKU, SOUMU, client_for, member
from tests.reports.entry_helpers import (
    confirm,
    download,
    fill,
    upload,
)
from tests.reports.import_helpers import all_counts, post_file
from tests.reports.import_helpers import url as import_url
from tests.seed import SEED

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SAVED = "Excelファイルの内容を下書きとして保存しました。"
# openpyxl refuses these in a cell (XML 1.0 cannot hold them; Excel writes them as _x0001_).
C0_REFUSED = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
# XML cannot hold these either, but openpyxl writes them anyway: the file is broken.
NOT_XML = {"\ufffe", "\uffff"}

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CHAR = st.characters(codec="utf-8", exclude_characters=C0_REFUSED)
# Printable text, for examples meant to be accepted (the oracle still decides).
PRINTABLE = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="".join(NOT_XML)
)
SPACING = st.sampled_from(["\t", "\n", "\r", "\r\n", " ", "\u3000", "\u2028", "\u200b"])
SPECIAL = st.sampled_from(["\x7f", "\x85", "\x9f", "\ufffe", "\uffff"])
STARTS = st.sampled_from(
    [
        "=",
        "+",
        "-",
        "@",
        "'",
        "=1+1",
        '=HYPERLINK("http://example.com","x")',
        "@SUM(A1)",
        "-3",
        "+81 44",
        "#N/A",
        "TRUE",
        "_x0041_",
        "\t",
        "\r\n",
        " ",
    ]
)


def plain_text(limit):
    """Text a person could well type: formula-like starts, tabs and line breaks, up to the limit."""
    return st.one_of(
        st.text(PRINTABLE, max_size=40),
        st.builds(operator.add, STARTS, st.text(PRINTABLE, max_size=20)),
        st.lists(st.one_of(PRINTABLE, SPACING), max_size=30).map("".join),
        st.builds(
            operator.mul, st.sampled_from(["あ", "a", "😀", "𠮷"]), st.integers(limit - 3, limit)
        ),
    )


def any_text(limit):
    """Anything openpyxl can put in a cell: controls, characters XML cannot hold, past the limit."""
    return st.one_of(
        plain_text(limit),
        st.text(CHAR, max_size=40),
        st.lists(st.one_of(CHAR, SPACING, SPECIAL), max_size=20).map("".join),
        st.builds(
            operator.mul, st.sampled_from(["あ", "a", "😀"]), st.integers(limit + 1, limit + 3)
        ),
        st.builds(operator.mul, CHAR, st.integers(30_000, 33_000)),
    )


def rows_of(*limits, max_rows):
    """Rows of cells, either all plain or all anything (so that both outcomes are common)."""
    return st.sampled_from([plain_text, any_text]).flatmap(
        lambda text: st.lists(
            st.tuples(*(text(limit) for limit in limits)), min_size=1, max_size=max_rows
        )
    )


def is_plain(text):
    try:
        validate_plain_text(text)
    except ValidationError:
        return False
    return True


def rolled_back(check):
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def snapshot(sheet):
    sheet = GoalSheet.objects.get(pk=sheet.pk)
    return sheet.version, sheet.plan_status, sheet.result_status, sheet_content(sheet), all_counts()


def assert_refused_in_japanese(response):
    body = response.content.decode()
    assert response.status_code in (400, 409), body
    problems = response.context["problems"]
    messages = [message for _ref, message in problems] or [response.context["error"]]
    for message in messages:
        assert JAPANESE.search(message), message
        assert escape(message) in body
    assert 'type="file"' in body


def upload_and_confirm(client, sheet, data, *, accepted, expected_goals):
    """Upload; when accepted, 確定 and compare; when refused, the message and no change."""
    before = snapshot(sheet)
    response = upload(client, sheet, data)
    event("accepted" if response.status_code == 200 else "refused")
    if response.status_code != 200:
        assert_refused_in_japanese(response)
        assert not accepted, [m for _r, m in response.context["problems"]]
        assert snapshot(sheet) == before
        return
    assert accepted, "accepted a file that should have been refused"
    assert "取り込む内容の確認" in response.content.decode()
    assert PendingUpload.objects.count() == before[-1]["PendingUpload"] + 1
    saved = confirm(client, sheet, response, follow=True)
    assert SAVED in saved.content.decode()
    assert sheet_content(GoalSheet.objects.get(pk=sheet.pk))["goals"] == expected_goals
    assert not PendingUpload.objects.exists()


# --- the entry workbook: goals (目標設定) -----------------------------------------------------


@pytest.fixture
def plan_sheet(seed_year):
    """企画課's 2021 sheet with one goal already saved, its editor, and its workbook."""
    year = fiscal_year_open_next(previous=seed_year)
    sheet = year.sheets.get(department__name=KIKAKU)
    editor = member(KIKAKU)
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(1, "既にある目標です。", "既にある取組です。")],
        expected_version=sheet.version,
        by=editor,
    )
    client = client_for(editor)
    sheet.refresh_from_db()
    return sheet, client, download(client, sheet)


def expected_plan(rows):
    """(whether the file should be accepted, the goals it should leave) for the typed rows."""
    if NOT_XML & set("".join(o + a for o, a in rows)):
        return False, None
    goals, accepted = [], True
    for number, (objective, actions) in enumerate(rows, start=1):
        objective, actions = normalise_text(objective), normalise_text(actions)
        if not objective and not actions:
            continue  # an empty row: no goal (an existing one is removed, as the workbook says)
        accepted &= bool(objective) and len(objective) <= MAX_OBJECTIVE
        accepted &= len(actions) <= MAX_ACTIONS and is_plain(objective) and is_plain(actions)
        goals.append(
            content_entry(number=number, categories=[], objective=objective, actions=actions)
        )
    return accepted, goals


@FUZZ
@given(rows=rows_of(MAX_OBJECTIVE, MAX_ACTIONS, max_rows=3))
@example(rows=[("=1+1", "@SUM(A1)"), ("-3", "+81 44 744 3113")])
@example(rows=[("\t目標\r\n二行目 ", "'=A1")])
def test_any_text_in_the_goal_cells_is_saved_as_typed_or_refused(plan_sheet, rows):
    sheet, client, workbook = plan_sheet
    data = fill(
        workbook,
        {
            offset: {"目標": objective or None, "具体的な取組内容": actions or None}
            for offset, (objective, actions) in enumerate(rows)
        },
        as_text=True,
    )
    accepted, goals = expected_plan(rows)
    rolled_back(
        lambda: upload_and_confirm(client, sheet, data, accepted=accepted, expected_goals=goals)
    )


# --- the entry workbook: results (実績報告) ---------------------------------------------------


@pytest.fixture
def result_sheet(seed_year):
    """企画課's 2021 sheet with two approved goals and 実績報告 open, its editor, its workbook."""
    year = fiscal_year_open_next(previous=seed_year)
    sheet = year.sheets.get(department__name=KIKAKU)
    editor, approver = member(KIKAKU), member(SOUMU, Role.APPROVER)
    sheet_save_plan(
        sheet=sheet,
        goals=[GoalInput(1, "一つ目の目標です。"), GoalInput(2, "二つ目の目標です。")],
        expected_version=sheet.version,
        by=editor,
    )
    sheet_submit(sheet=GoalSheet.objects.get(pk=sheet.pk), phase=Phase.PLAN, by=editor)
    sheet_approve(sheet=GoalSheet.objects.get(pk=sheet.pk), phase=Phase.PLAN, by=approver)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(fiscal_year=year, phase=Phase.RESULT, is_open=True)
    sheet = GoalSheet.objects.get(pk=sheet.pk)
    client = client_for(editor)
    return sheet, client, download(client, sheet), sheet_content(sheet)["goals"]


def expected_results(rows, goals):
    texts = "".join("".join(row) for row in rows)
    if NOT_XML & set(texts):
        return False, None
    accepted, expected = True, []
    for index, goal in enumerate(goals):
        done, achievement, reason = (
            normalise_text(t) for t in (rows[index] if index < len(rows) else ("", "", ""))
        )
        accepted &= all(map(is_plain, (done, achievement, reason)))
        accepted &= len(done) <= MAX_DONE and len(achievement) <= MAX_ACHIEVEMENT
        accepted &= len(reason) <= MAX_OMITTED_REASON
        result = result_entry(
            done="" if reason else done,
            achievement="" if reason else achievement,
            rating=None,
            omitted_reason=reason,
        )
        expected.append({**goal, "result": result})
    return accepted, expected


@FUZZ
@given(rows=rows_of(MAX_DONE, MAX_ACHIEVEMENT, MAX_OMITTED_REASON, max_rows=2))
@example(rows=[("=SUM(1,2)", "@達成", ""), ("", "", "※ 事業中止のため省略")])
def test_any_text_in_the_result_cells_is_saved_as_typed_or_refused(result_sheet, rows):
    sheet, client, workbook, goals = result_sheet
    data = fill(
        workbook,
        {
            offset: {
                "実施結果": done or None,
                "目標の達成度": achievement or None,
                "省略の理由": reason or None,
            }
            for offset, (done, achievement, reason) in enumerate(rows)
        },
        as_text=True,
    )
    accepted, expected = expected_results(rows, goals)
    rolled_back(
        lambda: upload_and_confirm(client, sheet, data, accepted=accepted, expected_goals=expected)
    )


# --- the past-year page (published text) ------------------------------------------------------

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines(keepends=True)


def damaged_seeds():
    """The real seed cut short, shuffled, thinned, with lines replaced, or cut mid-character."""
    lines = st.just(SEED_LINES)
    return st.one_of(
        st.integers(0, len(SEED_LINES)).map(lambda n: "".join(SEED_LINES[:n])),
        st.permutations(SEED_LINES).map("".join),
        st.lists(st.booleans(), min_size=len(SEED_LINES), max_size=len(SEED_LINES)).map(
            lambda keep: "".join(line for line, kept in zip(SEED_LINES, keep, strict=True) if kept)
        ),
        st.builds(
            lambda source, index, text: "".join(source[:index] + [text] + source[index + 1 :]),
            lines,
            st.integers(0, len(SEED_LINES) - 1),
            st.text(max_size=80),
        ),
    ).map(lambda text: text.encode("utf-8")) | st.integers(1, len(SEED_TEXT.encode())).map(
        lambda n: SEED_TEXT.encode("utf-8")[:n]
    )


ANY_FILE = st.one_of(
    st.text().map(lambda text: text.encode("utf-8")),
    st.text(st.sampled_from("部署名\t目標①②<p>共通</p> \n\r#|-1234")).map(str.encode),
    st.binary(max_size=2000),
    damaged_seeds(),
)


def domain_counts():
    counts = all_counts()
    counts.pop("PendingUpload")
    return counts


def check_published_upload(client, data):
    before = domain_counts()
    response = post_file(client, "import_published", data, "past.txt")
    body = response.content.decode()
    assert response.status_code == 200, body
    assert domain_counts() == before  # nothing written before 確定
    preview = response.context.get("preview")
    event("preview" if preview else "refused")
    if not preview:
        error = response.context.get("rejected") or response.context["parse_error"]["message"]
        assert JAPANESE.search(error), error
        assert escape(error) in body and 'type="file"' in body
        assert not PendingUpload.objects.exists()
        return
    assert "取込内容の確認" in body
    assert PendingUpload.objects.count() == 1
    done = client.post(import_url("import_published_confirm"), {"token": response.context["token"]})
    event(f"確定: {done.status_code}")
    if done.status_code == 302:  # imported: the year now has its sheets
        assert domain_counts() != before
    else:
        body = done.content.decode()
        assert done.status_code == 200, body
        error = done.context.get("rejected") or done.context["parse_error"]["message"]
        assert JAPANESE.search(error) and escape(error) in body
        assert domain_counts() == before
    assert not PendingUpload.objects.exists()


@settings(FUZZ, max_examples=25)  # about half of them also run a whole 確定
@given(data=ANY_FILE)
@example(data=SEED.read_bytes())  # undamaged: it previews and imports
@example(data=SEED.read_bytes()[:-7])
def test_any_file_on_the_past_year_page_gives_a_preview_or_a_message(client, approver, data):
    client.force_login(approver)
    rolled_back(lambda: check_published_upload(client, data))
