"""The accessibility statement: its commitments, and the latest check results when there are some."""

import json

import pytest
from django.urls import reverse

STATEMENT = reverse("reports:accessibility")

RESULTS = {
    "checked_at": "2026-11-24T15:00:00+09:00",
    "standard": "JIS X 8341-3:2016 AA (WCAG 2.1 A/AA rules)",
    "tools": {"axe-core": "4.14.1", "vnu": "26.9.27", "browser": "Chromium 156"},
    "pages": [
        {"name": "トップページ", "url": "/", "axe_violations": 0, "vnu_errors": 0},
        {
            "name": "目標の検索 (検索結果)",
            "url": "/reports/search/?q=窓口",
            "axe_violations": 0,
            "vnu_errors": 0,
        },
    ],
}


@pytest.fixture
def docs(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    return tmp_path / "docs" / "accessibility-results.json"


def statement(client):
    response = client.get(STATEMENT)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_statement_names_the_target_scope_and_method(client, docs):
    body = statement(client)
    assert '<h1 class="h3 mb-3">ウェブアクセシビリティ方針</h1>' in body
    assert "JIS X 8341-3:2016" in body and "適合レベル AA に準拠" in body
    assert (
        "PDF (印刷用)、Excel、CSV (オープンデータ) は同じ内容を別の形式で提供する補助的なファイル"
        in body
    )
    assert "axe-core" in body and "Nu HTML Checker" in body and "ヘッドレス Chromium" in body


@pytest.mark.django_db
def test_without_results_it_says_they_are_not_yet_available(client, docs):
    assert "試験の結果はまだ公開していません。" in statement(client)


@pytest.mark.django_db
def test_a_damaged_results_file_reads_as_not_yet_available(client, docs):
    docs.write_text("{not json", encoding="utf-8")
    assert "試験の結果はまだ公開していません。" in statement(client)


@pytest.mark.django_db
def test_with_results_it_shows_them_per_page(client, docs):
    docs.write_text(json.dumps(RESULTS, ensure_ascii=False), encoding="utf-8")

    body = statement(client)

    assert "試験の結果はまだ公開していません。" not in body
    assert "最後に試験した日: 2026年11月24日" in body
    assert "axe-core 4.14.1" in body and "Nu HTML Checker 26.9.27" in body
    assert '<th scope="row">トップページ</th>' in body
    assert "<code>/reports/search/?q=窓口</code>" in body
    assert (
        "すべてのページで、axe-core の違反と Nu HTML Checker のエラーはありませんでした。" in body
    )


@pytest.mark.django_db
def test_problems_found_are_not_hidden(client, docs):
    failing = {**RESULTS, "pages": [{**RESULTS["pages"][0], "axe_violations": 2}]}
    docs.write_text(json.dumps(failing, ensure_ascii=False), encoding="utf-8")
    body = statement(client)
    assert "一部のページで問題が見つかりました。" in body
    assert "<td>2 件</td>" in body


@pytest.mark.django_db
def test_every_public_page_links_the_statement_and_the_open_data_from_its_footer(client):
    body = client.get(reverse("home")).content.decode()
    footer = body.split("<footer", 1)[1]
    assert f'href="{STATEMENT}"' in footer
    assert f'href="{reverse("reports:data_dictionary")}"' in footer


@pytest.mark.django_db
def test_the_staff_pages_results_are_shown_as_a_table_of_their_own(client, docs):
    staff = [
        {"name": "目標の入力 (エラー)", "url": "/staff/nakahara/2022/sheets/004/plan/", "axe_violations": 0, "vnu_errors": 0, "too_wide": 0},
        {"name": "審査状況 (目標設定)", "url": "/staff/nakahara/2022/", "axe_violations": 0, "vnu_errors": 0, "too_wide": 1},
    ]
    docs.write_text(json.dumps({**RESULTS, "staff_pages": staff}, ensure_ascii=False), encoding="utf-8")

    body = statement(client)

    assert "職員用のページ (ログインが必要なページ): " in body and "同じ方法で試験しています" in body
    assert "wcag22aa、best-practice" in body
    assert '<caption id="staff-results-caption">自動試験の結果: 職員用のページ (2026年11月24日)</caption>' in body
    assert '<th scope="row">目標の入力 (エラー)</th>' in body
    assert "<td>あり (1 件)</td>" in body  # the page that scrolled sideways: not hidden
    assert "一部のページで問題が見つかりました。" in body
