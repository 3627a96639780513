"""ふりがな: readings of the seed's words, the office dictionary winning, readings made at 公表 and
stored, the public pages served from storage (no analysis on request) with a toggle that works
without JavaScript, the command for older versions, and 総務課's dictionary pages."""

import hashlib
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Office
from reports.furigana.page import ruby_page
from reports.furigana.readings import Readings, align, plain_text, reading_text
from reports.furigana.seed import DEMO_ENTRIES, reading_entries_seed
from reports.furigana.services import publication_readings_remove
from reports.models import PublicationReadings, PublishedGoalReadings, ReadingEntry
from tests.personas import client_for
from tests.reports.helpers import approved_year
from tests.reports.publishing import publish, use_tmp_media
from wardservice import japanese

# Words of the seed table (fixtures/seeds/nakahara-2020.txt) and how the analyser reads them.
SEED_WORDS = {
    "窓口": "まどぐち",
    "来庁者": "らいちょうしゃ",
    "中原区": "なかはらく",
    "区役所": "くやくしょ",
    "手続": "てつづき",
    "案内": "あんない",
    "職員": "しょくいん",
    "丁寧": "ていねい",
    "笑顔": "えがお",
    "迅速": "じんそく",
    "対応": "たいおう",
    "情報共有": "じょうほうきょうゆう",
    "市民": "しみん",
    "相談": "そうだん",
    "説明": "せつめい",
    "電話": "でんわ",
    "会議": "かいぎ",
    "研修": "けんしゅう",
    "個人情報": "こじんじょうほう",
    "整理整頓": "せいりせいとん",
    "要望": "ようぼう",
    "保護者": "ほごしゃ",
    "施設": "しせつ",
    "環境整備": "かんきょうせいび",
    "苦情": "くじょう",
    "陳情": "ちんじょう",
    "申請": "しんせい",
    "届出": "とどけで",
    "接遇": "せつぐう",
    "周知": "しゅうち",
    "配慮": "はいりょ",
    "快適": "かいてき",
    "問い合わせ": "といあわせ",
    "一人ひとり": "ひとりひとり",
    "地域みまもり支援センター": "ちいきみまもりしえんセンター",
}


@pytest.mark.anydb
def test_the_seeds_words_are_read_in_hiragana():
    readings = Readings()
    found = {word: reading_text(readings.segments(word)) for word in SEED_WORDS}
    assert found == SEED_WORDS


@pytest.mark.anydb
@pytest.mark.parametrize(
    "word, segments",
    [
        ("食べる", [["食", "た"], "べる"]),
        ("取り組み", [["取", "と"], "り", ["組", "く"], "み"]),
        ("申し込み", [["申", "もう"], "し", ["込", "こ"], "み"]),
        ("伺う", [["伺", "うかが"], "う"]),
        ("分かりやすい", [["分", "わ"], "かりやすい"]),
        ("丁寧な対応", [["丁寧", "ていねい"], "な", ["対応", "たいおう"]]),
        ("コール", ["コール"]),
    ],
)
def test_okurigana_stay_outside_the_ruby_and_kana_get_none(word, segments):
    assert Readings().segments(word) == segments


@pytest.mark.anydb
def test_the_office_dictionary_wins_over_the_analyser():
    analyser = Readings()
    assert reading_text(analyser.segments("新城")) == "しんしろ"
    assert reading_text(analyser.segments("等々力")) == "とどりき"
    office = Readings({"新城": "しんじょう", "等々力": "とどろき", "中原区": "なかはらく", "中原区役所": "なかはらくやくしょ"})
    assert office.segments("武蔵新城と等々力") == [
        ["武蔵", "むさし"], ["新城", "しんじょう"], "と", ["等々力", "とどろき"],
    ]
    # The longest word of the dictionary wins where two start at the same place.
    assert office.segments("中原区役所の窓口")[0] == ["中原区役所", "なかはらくやくしょ"]
    assert align("取り組み", "トリクミ") == [["取", "と"], "り", ["組", "く"], "み"]


@pytest.mark.anydb
def test_segments_give_the_text_back_exactly():
    readings = Readings(DEMO_ENTRIES)
    text = "来庁者や市民からの要望等を的確に記録し、\n課内で 情報共有を図ります。 ①3コール以内 (6・8・12月) <b>&amp;"
    assert plain_text(readings.segments(text)) == text


@pytest.mark.anydb
def test_a_page_gets_ruby_in_its_body_text_only():
    page = (
        '<!DOCTYPE html><html lang="ja"><head><title>窓口の案内</title></head>'
        '<body><h1 title="窓口">窓口の案内</h1><p>食べる &amp; <b>職員</b></p>'
        "<script>var 職員 = 1;</script><!-- 職員 --></body></html>"
    ).encode()
    result = ruby_page(page, Readings()).decode()
    assert "<title>窓口の案内</title>" in result
    assert '<h1 title="窓口"><ruby>窓口<rt>まどぐち</rt></ruby>の<ruby>案内<rt>あんない</rt></ruby></h1>' in result
    assert "<p><ruby>食<rt>た</rt></ruby>べる &amp; <b><ruby>職員<rt>しょくいん</rt></ruby></b></p>" in result
    assert "<script>var 職員 = 1;</script><!-- 職員 -->" in result


# --- Made at 公表, served from storage ----------------------------------------------------------


@pytest.fixture
def published(db, settings, tmp_path):
    """A small year published through the real service, the office's dictionary holding 来庁者
    (which the analyser reads as two words)."""
    use_tmp_media(settings, tmp_path)
    year = approved_year(departments=1, goals_per_department=2, texts=["来庁者に窓口で丁寧に案内します。"])
    ReadingEntry.objects.create(office=year.office, word="来庁者", reading="らいちょうしゃ")
    publish(year)
    return year


def year_url(fiscal_year, **kwargs):
    return reverse("reports:year", kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, **kwargs})


def test_readings_are_made_and_stored_at_publication(published):
    publication = published.publications.get()
    stored = PublicationReadings.objects.get(publication=publication)
    page = stored.file.read().decode()
    # The office dictionary's reading, not the analyser's.
    assert "<ruby>来庁者<rt>らいちょうしゃ</rt></ruby>" in page
    assert "<ruby>丁寧<rt>ていねい</rt></ruby>" in page
    rows = PublishedGoalReadings.objects.filter(goal__publication=publication)
    assert rows.count() == 2
    assert ["丁寧", "ていねい"] in rows.first().texts["来庁者に窓口で丁寧に案内します。"]


def test_the_toggle_works_without_javascript_and_is_remembered(client, published, monkeypatch):
    def no_analysis():
        raise AssertionError("the tagger was used while serving a page")

    monkeypatch.setattr(japanese, "tagging", no_analysis)
    url = year_url(published)

    plain = client.get(url)
    plain_bytes = plain.getvalue()
    html = plain_bytes.decode()
    assert '<a class="btn btn-outline-secondary btn-sm" href="?furigana=1">ふりがなを表示</a>' in html
    assert "<ruby>" not in html
    assert "Cookie" in plain["Vary"]

    with CaptureQueriesContext(connection) as plain_queries:
        client.get(url)
    with CaptureQueriesContext(connection) as ruby_queries:
        on = client.get(url + "?furigana=1")
    on_bytes = on.getvalue()
    assert len(ruby_queries) == len(plain_queries) == 1
    # Both are files as stored: the page published at 公表, and the page with ruby beside it.
    publication = published.publications.get()
    assert plain_bytes == publication.files.get(format="html").file.read()
    assert on_bytes == publication.readings.file.read()
    assert on["ETag"] == f'"{publication.readings.sha256}"'
    html = on_bytes.decode()
    assert "<ruby>丁寧<rt>ていねい</rt></ruby>" in html
    assert 'href="?furigana=0">ふりがなを消す</a>' in html
    assert on.cookies["furigana"].value == "1"
    assert "private" in on["Cache-Control"]
    assert on["ETag"] != plain["ETag"]

    remembered = client.get(url)  # the cookie alone
    assert "<ruby>丁寧" in remembered.getvalue().decode()
    assert remembered["ETag"] == on["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=on["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 200

    off = client.get(url + "?furigana=0")
    assert "<ruby>" not in off.getvalue().decode()
    assert off.cookies["furigana"]["max-age"] == 0
    client.cookies.pop("furigana", None)
    version = client.get(reverse("reports:version", kwargs={"office": published.office.slug, "year": published.year, "version": 1}) + "?furigana=1")
    assert "<ruby>丁寧" in version.getvalue().decode()


def published_before_furigana(publication):
    """The version as one published before ふりがな existed: no readings, and no link on its page."""
    assert publication_readings_remove(publication)
    stored = publication.files.get(format="html")
    page = re.sub(rb'\s*<p class="furigana-toggle.*?</p>', b"", stored.file.read(), flags=re.S)
    stored.file.save("table-before.html", ContentFile(page), save=False)
    stored.size, stored.sha256 = len(page), hashlib.sha256(page).hexdigest()
    stored.save()
    return stored


def test_a_version_without_readings_shows_no_toggle_and_gets_them_from_the_command(client, published):
    publication = published.publications.get()
    stored = published_before_furigana(publication)
    client.cookies["furigana"] = "1"
    response = client.get(year_url(published))
    html = response.getvalue().decode()
    assert "ふりがな" not in html and "<ruby>" not in html
    assert response["ETag"] == f'"{stored.sha256}"'  # the file as stored

    out = io.StringIO()
    call_command("make_furigana", stdout=out, stderr=io.StringIO())
    assert "ふりがなを作った版: 1件" in out.getvalue()
    assert "<ruby>丁寧" in client.get(year_url(published)).getvalue().decode()
    # Its page as published, with the link added in a copy served in its place.
    client.cookies.pop("furigana")
    html = client.get(year_url(published)).getvalue().decode()
    assert html.count("ふりがなを表示</a>") == 1 and "<ruby>" not in html
    assert html.replace(re.search(r'\s*<p class="furigana-toggle.*?</p>', html, re.S).group(0), "") == stored.file.open("rb").read().decode()
    out = io.StringIO()
    call_command("make_furigana", stdout=out)
    assert "ふりがなのない公表済みの版はありません。" in out.getvalue()


def test_the_recovery_run_makes_missing_readings(published):
    publication = published.publications.get()
    publication_readings_remove(publication)
    out = io.StringIO()
    call_command("recover_publications", stdout=out, stderr=io.StringIO())
    assert "ふりがなを作りました" in out.getvalue()
    assert PublicationReadings.objects.filter(publication=publication).exists()


def test_search_hits_get_ruby_with_their_marks(client, published, monkeypatch):
    monkeypatch.setattr(japanese, "tagging", None)  # nothing is analysed on request
    url = reverse("reports:search")
    response = client.get(url, {"q": "窓口 来庁", "furigana": "1"})
    html = response.getvalue().decode()
    assert "<mark><ruby>窓口<rt>まどぐち</rt></ruby></mark>" in html
    assert "<ruby><mark>来庁</mark>者<rt>らいちょうしゃ</rt></ruby>" in html
    assert "<ruby>丁寧<rt>ていねい</rt></ruby>" in html
    assert 'ふりがなを消す</a>' in html and "furigana=0" in html
    assert response.cookies["furigana"].value == "1"
    plain = client.get(url, {"q": "窓口 来庁", "furigana": "0"}).getvalue().decode()
    assert "<mark>窓口</mark>" in plain and "<ruby>" not in plain


# --- 総務課's dictionary -------------------------------------------------------------------------


def dictionary_url(name="dictionary", **kwargs):
    return reverse(f"furigana:{name}", kwargs={"office": "nakahara", **kwargs})


def test_approvers_keep_the_dictionary_and_others_may_not(people):
    approver = client_for(people.approver)
    assert reading_entries_seed(Office.objects.get(slug="nakahara")) == len(DEMO_ENTRIES)
    page = approver.get(dictionary_url())
    assert page.status_code == 200
    assert "<ruby>等々力<rt>とどろき</rt></ruby>" in page.getvalue().decode()

    response = approver.post(dictionary_url("entry_new"), {"word": "小杉陣屋町", "reading": "コスギジンヤチョウ"})
    assert response.status_code == 302
    entry = ReadingEntry.objects.get(word="小杉陣屋町")
    assert entry.reading == "こすぎじんやちょう"
    response = approver.post(dictionary_url("entry_edit", pk=entry.pk), {"word": "小杉陣屋町", "reading": "こすぎじんやまち"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.reading == "こすぎじんやまち"
    assert approver.post(dictionary_url("entry_delete", pk=entry.pk)).status_code == 302
    assert not ReadingEntry.objects.filter(pk=entry.pk).exists()

    assert client_for(people.soumu_editor).get(dictionary_url()).status_code == 403
    assert client_for(people.outsider).get(dictionary_url()).status_code == 404


def test_the_dictionary_page_costs_the_same_queries_for_few_words_and_many(people):
    office = Office.objects.get(slug="nakahara")
    approver = client_for(people.approver)
    reading_entries_seed(office, {"中原区": "なかはらく"})
    approver.get(dictionary_url())  # the login's own first queries (session, last use) aside
    with CaptureQueriesContext(connection) as few:
        assert approver.get(dictionary_url()).status_code == 200
    reading_entries_seed(office)
    with CaptureQueriesContext(connection) as many:
        page = approver.get(dictionary_url())
    assert len(many) == len(few)
    assert "<ruby>高齢・障害課<rt>こうれい・しょうがいか</rt></ruby>" not in page.content.decode()
    assert "<ruby>高齢<rt>こうれい</rt></ruby>・<ruby>障害課<rt>しょうがいか</rt></ruby>" in page.content.decode()


def test_a_word_with_signs_keeps_them_in_its_reading(people):
    approver = client_for(people.approver)
    response = approver.post(dictionary_url("entry_new"), {"word": "小杉・丸子", "reading": "こすぎ・まるこ"})
    assert response.status_code == 302
    assert ReadingEntry.objects.get(word="小杉・丸子").reading == "こすぎ・まるこ"


@pytest.mark.parametrize(
    "word, reading, message",
    [
        ("なかはら", "なかはら", "漢字を含む語を入力してください"),
        ("中原", "nakahara", "読みはひらがなで入力してください"),
        ("取り組み", "とくみ", "読みが語に合いません"),
        ("区役所", "くやくしょ", "「区役所」は辞書にあります"),
        ("", "", "語を入力してください。"),
    ],
)
def test_bad_words_are_refused_with_what_was_typed_kept(people, word, reading, message):
    ReadingEntry.objects.create(office=Office.objects.get(slug="nakahara"), word="区役所", reading="くやくしょ")
    approver = client_for(people.approver)
    response = approver.post(dictionary_url("entry_new"), {"word": word, "reading": reading})
    assert response.status_code == 400
    html = response.getvalue().decode()
    assert message in html
    assert f'value="{reading}"' in html or not reading
    assert html.count("<title>エラー: ") == 1
    assert ReadingEntry.objects.count() == 1
