"""One list of queries, the same hits in the same order on SQLite and on PostgreSQL.

Not marked anydb: `make test` runs this module on both engines. SQLite finds a word with LIKE
over each row's folded text; PostgreSQL looks its grams up in a GIN index first and settles
words of one or two characters by the grams alone (reports.search.index). Each run checks its
engine against the same expectations: written ones for rows made for the purpose, and, for
every row, what folding the row's own texts in Python says.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports.models import PublishedGoal
from reports.search.folding import fold
from reports.search.index import FIELD_SEPARATOR, PUBLIC_TEXT_FIELDS, grams, query_words
from reports.search.selectors import search_published_goals
from reports.search.terms import split_terms
from tests.factories import OfficeFactory
from tests.reports.helpers import approved_year
from tests.reports.published_helpers import publish

# One goal each (its objective; the helper repeats it in the other fields).
TEXTS = (
    "窓口で髙橋さんが案内します。",  # 0
    "高橋さんの相談会を開きます。",  # 1
    "ＳＮＳとｿｰｼｬﾙﾒﾃﾞｨｱで発信します。",  # 2
    "sns で発信しました。",  # 3
    "渡邊さんと渡邉さんの担当です。",  # 4
    "渡辺さんの担当です。",  # 5
    "齋藤さんと斉藤さんが参加します。",  # 6
    "山﨑さんの説明会です。",  # 7
    "葛\U000e0100飾区の窓口です。",  # 8: an ideographic variation selector
    "𠮷野家の前で案内します。",  # 9: beyond the Basic Multilingual Plane
    "電話番号は03‐1234‐5678です。",  # 10
    "3ヶ月ごとに点検します。",  # 11
    "國の補助で櫻を植えます。",  # 12
)
ALL = set(range(len(TEXTS)))

# Query → the goals of TEXTS it finds. Common, rare and absent words of one, two and more
# characters; full- and half-width; variant kanji; several words.
QUERIES = {
    # one character
    "の": {1, 4, 5, 7, 8, 9, 12},
    "吉": {9},
    "𠮷": {9},
    "崎": {7},
    "國": {12},
    "鬱": set(),
    # two characters
    "窓口": {0, 8},
    "案内": {0, 9},
    "髙橋": {0, 1},
    "高橋": {0, 1},
    "渡辺": {4, 5},
    "渡邉": {4, 5},
    "斎藤": {6},
    "齊藤": {6},
    "桜を": {12},
    "電話": ALL,  # every goal's 区分
    "宇宙": set(),
    "sns": {2, 3},
    "ＳＮＳ": {2, 3},
    "ｓｎｓ": {2, 3},
    # three or more
    "試験部": ALL,  # every department's name
    "ソーシャル": {2},
    "ｿｰｼｬﾙ": {2},
    "ｿｰｼｬﾙﾒﾃﾞｨｱ": {2},
    "葛飾区": {8},
    "吉野家": {9},
    "山崎さん": {7},
    "03-1234": {10},
    "０３－１２３４": {10},
    "3ケ月": {11},
    "3ヶ月ごと": {11},
    "宇宙飛行士": set(),
    "インフルエンサー": set(),  # in the seed only
    # several words: all must be found
    "窓口 案内": {0},
    "高橋\u3000相談": {1},
    "渡辺 宇宙": set(),
}


@pytest.fixture
def published(seed_year):
    """The seed's real table and a year of the goals above, both published."""
    publish(seed_year)
    office = OfficeFactory(name="試験区役所", slug="shiken", municipality_code="990009")
    crafted = publish(
        approved_year(departments=len(TEXTS), goals_per_department=1, texts=TEXTS, office=office)
    )
    return crafted


def found(query):
    """The hits of a query as (publication id, position), in the search's order."""
    goals = search_published_goals(terms=split_terms(query))
    return list(goals.values_list("publication_id", "position"))


def expected(rows, query):
    """What folding each row's texts in Python finds, in the search's order."""
    words = query_words(split_terms(query))
    hits = [
        row
        for row in rows
        if all(
            word in fold(FIELD_SEPARATOR.join(getattr(row, f) for f in PUBLIC_TEXT_FIELDS))
            for word in words
        )
    ]
    hits.sort(
        key=lambda r: (-r.year, r.municipality_code, r.office_name, r.publication_id, r.position)
    )
    return [(row.publication_id, row.position) for row in hits]


def test_every_query_finds_the_same_rows_in_the_same_order_on_either_engine(published):
    rows = list(PublishedGoal.objects.all())
    positions = {n: n + 1 for n in range(len(TEXTS))}  # one goal per department, in order
    results = {query: found(query) for query in QUERIES}

    written = {
        query: {position for publication, position in hits if publication == published.pk}
        for query, hits in results.items()
    }
    assert written == {
        query: {positions[n] for n in goals} for query, goals in QUERIES.items()
    }, connection.vendor
    assert results == {query: expected(rows, query) for query in QUERIES}, connection.vendor
    # The seed's real text: a common word, a rare one, and one character.
    seed_hits = {q: len(found(q)) for q in ("窓口", "インフルエンサー", "区")}
    assert seed_hits["窓口"] > 5 and seed_hits["インフルエンサー"] == 1 and seed_hits["区"] > 10


@pytest.mark.django_db(transaction=True)
def test_the_index_of_rows_published_before_it_existed_is_built_by_the_migration():
    """reports/migrations/0008 indexes the rows already published, on either engine."""
    publication = publish(
        approved_year(departments=1, goals_per_department=1, texts=["ＳＮＳで髙橋さんが窓口を案内します。"])
    )
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate([("reports", "0007_importjob")])  # no index yet
        MigrationExecutor(connection).migrate([("reports", "0008_publishedgoal_search_grams")])
        row = PublishedGoal.objects.get(publication=publication)
        assert row.search_text == fold(
            FIELD_SEPARATOR.join(getattr(row, f) for f in PUBLIC_TEXT_FIELDS)
        )
        assert "snsで高橋さんが窓口を案内します。" in row.search_text
        if connection.vendor == "postgresql":
            assert row.search_grams == grams(row.search_text)
        else:
            assert row.search_grams is None
        assert found("髙橋 窓口 sns") == [(publication.pk, 1)]
    finally:
        MigrationExecutor(connection).migrate(leaves)


def test_reindex_search_rebuilds_rows_whose_index_is_stale_and_leaves_the_others(db):
    """After a change of the folding table, `manage.py reindex_search` folds the rows again."""
    publication = publish(approved_year(departments=2, goals_per_department=1, texts=["髙橋さんの窓口"]))
    stale = PublishedGoal.objects.filter(publication=publication).first()
    PublishedGoal.objects.filter(pk=stale.pk).update(search_text="", search_grams=None)
    assert len(found("高橋")) == 1

    out = io.StringIO()
    call_command("reindex_search", stdout=out)

    assert out.getvalue() == "公表された目標 2 件を調べ、1 件の検索用の索引を作り直しました。\n"
    assert len(found("高橋")) == 2
