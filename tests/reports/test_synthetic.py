"""Synthetic data for benchmarks: realistic Japanese text, the same for the same seed, stored in
exactly the shape that approval and 公表 leave a real year in."""

from statistics import mean

import pytest
from django.db import transaction
from django.urls import reverse

from goals.models import Goal, GoalSheet, ReviewEvent, SheetStatus
from reports.models import Publication, PublicationStatus, PublishedGoal
from reports.publishing.services import published_goals
from bench.synthetic.load import Scale, load_scale
from bench.synthetic.names import municipalities
from bench.synthetic.text import FIELDS, SeedCorpus, TextGenerator, sentences
from reports.table import PublicTable, build_table
from tests.reports.publishing import use_tmp_media

SMALL = Scale("test", offices=2, departments=4, goals=3, years=2)
TEXT_FIELDS = ("objective", "actions", "result__done", "result__achievement")


@pytest.fixture(scope="module")
def corpus():
    return SeedCorpus.load()


def generated(corpus, seed, count=40):
    texts = TextGenerator(corpus, seed=seed, pool_size=400)
    return [texts.text(field, 800) for _ in range(count) for field in FIELDS]


def test_the_same_seed_gives_the_same_text_and_another_seed_other_text(corpus):
    assert generated(corpus, 1) == generated(corpus, 1)
    assert generated(corpus, 1) != generated(corpus, 2)


def test_restarting_makes_what_follows_independent_of_what_came_before(corpus):
    texts = TextGenerator(corpus, seed=3, pool_size=300)
    texts.restart("batch-2")
    fresh = [texts.text("done", 800) for _ in range(20)]
    texts.text("objective", 400)
    texts.restart("batch-2")
    assert [texts.text("done", 800) for _ in range(20)] == fresh


def test_text_is_japanese_of_the_seeds_lengths_without_repeated_or_copied_sentences(corpus):
    texts = TextGenerator(corpus, seed=0, pool_size=2000)
    made = {field: [texts.text(field, 800) for _ in range(300)] for field in FIELDS}
    all_sentences = [s for field in FIELDS for text in made[field] for s in sentences(text)]

    assert len(all_sentences) == len(set(all_sentences))  # nothing said twice
    assert not set(all_sentences) & corpus.all_sentences()  # nor copied from the seed
    assert len(set("".join(all_sentences))) > 500  # a real subset of the fonts, not a handful
    for field in FIELDS:
        seed_lengths = [len(t) for t in corpus.texts[field]]
        lengths = [len(t) for t in made[field]]
        empty_share = lengths.count(0) / len(lengths)
        assert abs(empty_share - seed_lengths.count(0) / len(seed_lengths)) < 0.15, field
        filled = [n for n in lengths if n]
        seed_filled = [n for n in seed_lengths if n]
        assert 0.7 < mean(filled) / mean(seed_filled) < 1.3, field
        ended = [text.endswith("。") for text in made[field] if text]
        assert sum(ended) / len(ended) > 0.95, field  # as in the seed: whole sentences


def test_municipalities_are_distinct_and_fictional():
    places = municipalities(1741)
    assert len({p.name for p in places}) == len({p.office_name for p in places}) == 1741
    assert len({p.slug for p in places}) == len({p.code for p in places}) == 1741
    # 90–91: no prefecture has these numbers, so no code names a real body.
    assert all(p.code[:2] in ("90", "91") and len(p.code) == 6 for p in places)
    assert [w.office_name for w in municipalities(3, wards_of="架空市")] == [
        f"{w.name.removeprefix('架空市')}役所" for w in municipalities(3, wards_of="架空市")
    ]


def load_and_read(seed):
    """The texts a load writes, in table order; rolled back afterwards."""
    with transaction.atomic():
        load_scale(SMALL, seed=seed)
        texts = list(
            Goal.objects.order_by(
                "sheet__fiscal_year__office__municipality_code",
                "sheet__fiscal_year__year",
                "sheet__department__sort_order",
                "number",
            ).values_list(*TEXT_FIELDS)
        )
        transaction.set_rollback(True)
    return texts


def test_a_load_is_the_same_for_the_same_seed(db):
    first = load_and_read(seed=5)
    assert len(first) == 2 * 4 * 3 * 2
    assert load_and_read(seed=5) == first
    assert load_and_read(seed=6) != first


def test_every_year_is_approved_and_published_as_the_service_would_freeze_it(db):
    summary = load_scale(SMALL, seed=1)

    assert (summary.offices, summary.fiscal_years, summary.goals) == (2, 4, 48)
    assert not GoalSheet.objects.exclude(
        plan_status=SheetStatus.APPROVED, result_status=SheetStatus.APPROVED
    ).exists()
    assert ReviewEvent.objects.count() == 4 * GoalSheet.objects.count()  # 提出・承認 × 2 phases
    for goal in Goal.objects.select_related("result").prefetch_related("categories")[:20]:
        goal.full_clean()
        goal.result.full_clean()
    for publication in Publication.objects.select_related("fiscal_year"):
        assert publication.status == PublicationStatus.PUBLISHED
        expected = build_table(publication.fiscal_year, publication.kind)
        assert publication.table == expected.to_json()
        assert PublicTable.from_json(publication.table) == expected
        rows = PublishedGoal.objects.filter(publication=publication).order_by("position")
        # search_grams is stored on PostgreSQL only (reports.search.index.GramsField).
        fields = [
            f.attname
            for f in PublishedGoal._meta.concrete_fields
            if f.attname not in ("id", "search_grams")
        ]
        assert [[getattr(r, f) for f in fields] for r in rows] == [
            [getattr(r, f) for f in fields] for r in published_goals(publication, expected)
        ]


def test_rendered_years_are_public_and_searchable_and_the_others_are_not_served(
    client, db, settings, tmp_path
):
    use_tmp_media(settings, tmp_path)
    load_scale(SMALL, seed=2, render=lambda office, year: year == 2016)
    rendered = Publication.objects.select_related("fiscal_year__office").get(
        fiscal_year__year=2016, fiscal_year__office__municipality_code=municipalities(1, seed=2)[0].code
    )
    assert rendered.files.count() == 4
    office, year = rendered.fiscal_year.office.slug, rendered.fiscal_year.year

    page = client.get(reverse("reports:year", kwargs={"office": office, "year": year}))
    assert page.status_code == 200
    goal = PublishedGoal.objects.filter(publication=rendered).first()
    assert goal.objective.split("\n")[0].encode() in page.getvalue()
    word = goal.objective[:6]
    found = client.get(reverse("reports:search"), {"q": word})
    assert goal.department_name in found.content.decode()
    unrendered = reverse("reports:year", kwargs={"office": office, "year": 2015})
    assert client.get(unrendered).status_code == 404
