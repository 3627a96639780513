"""The public year page, as published: the seed's text in order, escaped user text, constant queries."""

import html
import re
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import GoalSheet, SheetStatus
from reports.table import build_table
from tests.reports.helpers import HOSTILE_TEXTS, approved_year
from tests.reports.publishing import publish, use_tmp_media

WS = re.compile(r"\s+")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@pytest.fixture
def published_seed(seed_year):
    """The seed year, published (目標と実績) through the publishing service and its task."""
    publish(seed_year)
    return seed_year


def visible_text(body: str) -> str:
    """The page's text as a reader gets it: tags removed, entities decoded, whitespace dropped."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return WS.sub("", html.unescape(re.sub(r"<[^>]+>", "", body)))


def year_url(office="nakahara", year=2020):
    return reverse("reports:year", kwargs={"office": office, "year": year})


def test_every_paragraph_appears_in_order(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    text = visible_text(body)
    position = 0
    for department in build_table(published_seed, "result").departments:
        position = text.index(WS.sub("", department.name), position)
        for goal in department.goals:
            for chunk in (*goal.objective_paragraphs, *goal.actions_paragraphs,
                          *goal.result.done_paragraphs, *goal.result.achievement_paragraphs,
                          goal.result.omitted_reason):
                if chunk:
                    position = text.index(WS.sub("", chunk), position)


def test_page_structure(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    assert '<html lang="ja">' in body
    assert "<caption>令和2年度 中原区役所サービス向上目標</caption>" in body
    assert '<a class="skip-link" href="#main">' in body
    assert body.count('<th scope="col"') == 3
    assert body.count('<tbody class="department"') == 17
    assert body.count('<tr class="goal"') == 50
    assert "令和2年度 中原区役所サービス向上目標 <span" in body and "(2020年度)" in body
    policy = re.search(r'<ol class="policy-list">(.*?)</ol>', body, re.S).group(1)
    assert policy.count("<li>") == 4
    assert "cdn" not in body.lower()


def test_tags_sit_on_their_own_line_above_the_text(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    row = re.search(r'id="dept-[^"]+-goal-1">(?:(?!</tr>).)*?地域ケア推進課.*?</tr>', body, re.S)
    assert row
    assert '<p class="categories"><span class="category">電話</span><span class="category">対面</span></p>' in body


def test_cells_carry_the_seeds_headings(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    goals = [goal for department in build_table(published_seed, "result").departments for goal in department.goals]
    assert body.count('<span class="cell-heading">【目標】</span>') == 50
    assert body.count('<p class="cell-heading">【具体的な取組内容】</p>') == sum(bool(g.actions) for g in goals)
    assert body.count('<p class="cell-heading">・実施結果</p>') == sum(bool(g.result.done) for g in goals) == 47
    assert body.count('<p class="cell-heading">・目標の達成度</p>') == sum(bool(g.result.achievement) for g in goals)
    # 地域振興課's goal 1, headed as in the seed: each heading over its own paragraphs.
    row = re.search(r'<tr class="goal" id="dept-[^"]+-goal-1">(?:(?!</tr>).)*?来庁者がスムーズに.*?</tr>', body, re.S).group(0)
    order = ["【目標】", "来庁者がスムーズに", "【具体的な取組内容】", "(1) 市役所業務全体を理解し",
             "・実施結果", "(1) 職員の業務に関する知識", "・目標の達成度", "課内情報共有やマニュアル整備"]
    assert [row.index(text) for text in order] == sorted(row.index(text) for text in order)
    # An omitted result prints its reason alone, without headings.
    omitted = re.findall(r'<td class="result-text">\s*<p class="omitted">[^<]*</p>\s*</td>', body)
    assert len(omitted) == 3


def test_tags_print_in_the_goals_own_order(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    row = re.search(r'<tr class="goal" id="dept-[^"]+-goal-1">(?:(?!</tr>).)*?区民からの電話や窓口での問い合わせや相談に親切で.*?</tr>', body, re.S)
    assert '<p class="categories"><span class="category">電話</span><span class="category">対面対応</span></p>' in row.group(0)


@pytest.mark.django_db
def test_a_year_without_policy_prints_no_policy_heading(client):
    fiscal_year = approved_year(departments=1)  # as import_table leaves a year brought in from a CSV
    assert not fiscal_year.principles.exists()
    publish(fiscal_year)
    kwargs = {"office": fiscal_year.office.slug, "year": fiscal_year.year}
    body = client.get(year_url(**kwargs)).getvalue().decode()
    assert "区役所サービス向上方針" not in body and "policy-list" not in body
    pdf = client.get(reverse("reports:table_pdf", kwargs=kwargs)).getvalue()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "区役所サービス向上目標" in text and "区役所サービス向上方針" not in text


def test_omitted_results_print_their_reason(client, published_seed):
    body = client.get(year_url()).getvalue().decode()
    assert body.count('<p class="omitted">※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします</p>') == 3


def test_plan_only_year_leaves_the_result_column_out(client, db):
    fiscal_year = approved_year(departments=2)
    GoalSheet.objects.filter(fiscal_year=fiscal_year).update(result_status=SheetStatus.NOT_STARTED)
    publish(fiscal_year, "plan")
    body = client.get(year_url(fiscal_year.office.slug, fiscal_year.year)).getvalue().decode()
    assert "目標及び具体的な取組内容" in body
    assert "実施結果及び目標の達成度" not in body
    assert "達成度:" not in body


def test_half_reviewed_or_unknown_years_are_not_shown(client, db):
    fiscal_year = approved_year(departments=2)
    sheet = GoalSheet.objects.filter(fiscal_year=fiscal_year).first()
    GoalSheet.objects.filter(pk=sheet.pk).update(plan_status=SheetStatus.DRAFT, result_status=SheetStatus.NOT_STARTED)
    assert client.get(year_url(fiscal_year.office.slug, fiscal_year.year)).status_code == 404
    assert client.get(year_url("nowhere", 2020)).status_code == 404
    assert client.get(year_url(fiscal_year.office.slug, 1999)).status_code == 404


@pytest.mark.django_db
def test_user_text_is_escaped_never_markup(client):
    fiscal_year = approved_year(departments=1, goals_per_department=len(HOSTILE_TEXTS), texts=HOSTILE_TEXTS)
    publish(fiscal_year)
    response = client.get(year_url(fiscal_year.office.slug, fiscal_year.year))
    assert response.status_code == 200
    body = response.getvalue().decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>bold</b>" not in body
    assert "\x0b" not in body and "\x00" not in body
    text = visible_text(body)
    for value in HOSTILE_TEXTS:
        expected = WS.sub("", value.replace("\x0b", "").replace("\x00", "").replace("\x1f", ""))
        assert expected in text


@pytest.mark.parametrize("fmt", ["html", "csv", "xlsx", "pdf"])
def test_query_count_does_not_grow_with_the_table(fmt, client, db, django_assert_num_queries):
    small = approved_year(departments=2, year=2021)
    large = approved_year(departments=20, year=2022, office=small.office)
    url = "reports:year" if fmt == "html" else f"reports:table_{fmt}"
    counts = []
    for fiscal_year in (small, large):
        publish(fiscal_year)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url, kwargs={"office": small.office.slug, "year": fiscal_year.year}))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10


def test_downloads_are_attachments_and_the_pdf_opens_inline(client, published_seed):
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse(f"reports:table_{fmt}", kwargs={"office": "nakahara", "year": 2020}))
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="table-nakahara-2020-result.{fmt}"'
    response = client.get(reverse("reports:table_pdf", kwargs={"office": "nakahara", "year": 2020}))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('inline; filename="table-nakahara-2020-result.pdf"; ')


@pytest.mark.django_db
def test_data_dictionary_lists_every_column_and_the_licence(client):
    from reports.table import DATA_COLUMNS, POLICY_COLUMNS

    body = client.get(reverse("reports:data_dictionary")).content.decode()
    for column in DATA_COLUMNS:
        assert f'<th scope="row">{column.name}</th>' in body
    # The policy's own layout (the Excel file's sheet 方針), and how a CSV import gets it.
    assert "シート「方針」の列" in body and "import_table --policy" in body
    for column in POLICY_COLUMNS:
        assert f'<th scope="row">{column.name}</th>' in body
    assert "「省略の理由」の列だけで決まり" in body
    assert "公共データ利用規約" in body and "CC BY 4.0" in body
