"""Query budgets: every public page and download, the staff dashboard, home and search, and every
exporter's table, run the same number of queries for a small office and for a large one.

A query per department, goal or year (an N+1) makes the large office's count differ, and the
test names the page. Each page is asked for once before counting, so caches are warm for both.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Role
from goals.models import GoalSheet
from reports.exporters import EXPORTERS
from reports.models import PublicationKind, PublicationStatus, PublishedGoal
from reports.search.index import text_q
from reports.search.terms import split_terms
from reports.selectors import current_publications
from reports.search.selectors import public_search_choices, published_category_values
from reports.table import build_table
from tests.factories import MembershipFactory, OfficeFactory
from tests.reports.helpers import approved_year
from tests.reports.import_helpers import synthetic_csv
from tests.reports.published_helpers import publish as publish_rows
from tests.reports.publishing import publish, use_tmp_media

SMALL = {"departments": 2, "goals": 1, "years": (2021,)}
LARGE = {"departments": 12, "goals": 3, "years": (2021, 2022)}
TERM = "案内"  # in every goal of approved_year()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


@dataclass(frozen=True)
class World:
    """An office whose years are all published: 第1版 目標, then 第2版 目標と実績."""

    office: object
    fiscal_year: object  # the newest
    approver: object


def build_world(*, departments, goals, years, render=True):
    office = OfficeFactory()
    fiscal_year = None
    for year in years:
        fiscal_year = approved_year(
            departments=departments, goals_per_department=goals, office=office, year=year
        )
        if render:
            publish(fiscal_year, "plan")
            publish(fiscal_year, "result")
    # A department with a sheet in the newest year, so that the staff home lists it.
    department = fiscal_year.sheets.order_by("department__sort_order").first().department
    approver = MembershipFactory(department=department, role=Role.APPROVER).user
    return World(office, fiscal_year, approver)


def year_url(world, name, **kwargs):
    return reverse(
        f"reports:{name}",
        kwargs={"office": world.office.slug, "year": world.fiscal_year.year, **kwargs},
    )


def public_urls(world):
    search = reverse("reports:search")
    year = world.fiscal_year.year
    return {
        "home": reverse("home"),
        "home (filtered)": f"{reverse('home')}?q={world.office.municipality_code}",
        "year page": year_url(world, "year"),
        "version page": year_url(world, "version", version=1),
        **{f"table.{fmt}": year_url(world, f"table_{fmt}") for fmt in ("pdf", "xlsx", "csv")},
        **{
            f"v1 table.{fmt}": year_url(world, f"version_{fmt}", version=1)
            for fmt in ("pdf", "xlsx", "csv")
        },
        "search (term)": f"{search}?q={TERM}",
        "search (term, page 2)": f"{search}?q={TERM}&page=2",
        "search (filters)": f"{search}?q={TERM}&year={year}&category=電話&department=試験部",
        "search (filters only)": f"{search}?category=共通&year={year}",
        "stats": year_url(world, "stats"),
        "open data": reverse("reports:data_dictionary"),
        "all.csv": reverse("reports:opendata_all_csv"),
        "accessibility": reverse("reports:accessibility"),
    }


def staff_urls(world):
    search = reverse("reports_staff_search")
    return {
        "staff home": reverse("goals:home"),
        "dashboard": reverse(
            "goals:dashboard", kwargs={"office": world.office.slug, "year": world.fiscal_year.year}
        ),
        "dashboard (filtered)": reverse(
            "goals:dashboard", kwargs={"office": world.office.slug, "year": world.fiscal_year.year}
        )
        + "?plan_status=approved&q=試験",
        "staff search (term)": f"{search}?q={TERM}",
        "staff search (filters)": (
            f"{search}?q={TERM}&year={world.fiscal_year.year}&category=電話&department=試験部"
        ),
    }


def count_queries(client, urls):
    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm: the first request of a process may fill caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(queries)
    return counts


def assert_same(small, large):
    differing = {name: (small[name], large[name]) for name in small if small[name] != large[name]}
    assert not differing, f"query counts grew with the data (small, large): {differing}"


def test_public_pages_and_downloads_run_a_constant_number_of_queries(client, db):
    small = count_queries(client, public_urls(build_world(**SMALL)))
    large = count_queries(client, public_urls(build_world(**LARGE)))
    assert_same(small, large)
    # Published files are served from storage: one query finds the file.
    assert small["year page"] == small["table.pdf"] == small["v1 table.csv"] == 1


def test_staff_pages_run_a_constant_number_of_queries(client, db):
    counts = []
    for size in (SMALL, LARGE):
        world = build_world(**size, render=False)
        client.force_login(world.approver)
        counts.append(count_queries(client, staff_urls(world)))
    assert_same(*counts)


@pytest.mark.parametrize("kind", PublicationKind.values)
def test_every_exporter_builds_its_table_in_a_constant_number_of_queries(db, kind):
    counts = []
    for size in (SMALL, LARGE):
        world = build_world(**size, render=False)
        with CaptureQueriesContext(connection) as built:
            table = build_table(world.fiscal_year, kind)
        assert table.goal_count == size["departments"] * size["goals"]
        for identifier, exporter in EXPORTERS.items():
            with CaptureQueriesContext(connection) as rendered:
                assert exporter.render(table)
            assert len(rendered) == 0, f"{identifier} queried the database"
        counts.append(len(built))
    assert counts[0] == counts[1], counts


# --- The queries that had to change for national scale keep their meaning ----------------------


def test_current_publications_are_the_fullest_newest_published_version_of_each_year(db):
    office = OfficeFactory()
    cases = {
        # year: versions as (kind, status), numbered 1, 2, … → the current version (or None)
        2015: ([("plan", "published")], 1),
        2016: ([("plan", "published"), ("result", "published")], 2),
        2017: ([("result", "published"), ("plan", "published")], 1),  # 目標と実績 wins over a newer 目標
        2018: ([("result", "published"), ("result", "published"), ("result", "failed")], 2),
        2019: ([("plan", "published"), ("result", "rendering")], 1),
        2020: ([("plan", "pending")], None),
    }
    expected = set()
    for year, (versions, current) in cases.items():
        fiscal_year = approved_year(departments=1, goals_per_department=1, office=office, year=year)
        for number, (kind, status) in enumerate(versions, 1):
            publication = publish_rows(fiscal_year, kind=kind, version=number, status=status)
            if number == current:
                expected.add(publication.pk)
    assert set(current_publications().values_list("pk", flat=True)) == expected


def test_search_choices_list_the_tags_of_current_publications_only(db):
    office = OfficeFactory()
    fiscal_year = approved_year(departments=2, goals_per_department=3, office=office, year=2021)
    publish_rows(fiscal_year, version=1, edit=lambda row: setattr(row, "categories", "旧区分・共通"))
    publish_rows(fiscal_year, version=2)  # the correction: 旧区分 is no longer public
    publish_rows(
        approved_year(departments=1, goals_per_department=1, office=office, year=2022),
        version=1,
        status=PublicationStatus.FAILED,
        edit=lambda row: setattr(row, "categories", "失敗した版だけの区分"),
    )

    values = published_category_values()

    current = PublishedGoal.objects.filter(publication__in=current_publications())
    assert sorted(values) == sorted(set(current.values_list("categories", flat=True)))
    assert public_search_choices() == ([2021], ["共通", "対面対応", "電話"])  # all sort_order 0: by name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the grams are PostgreSQL's")
def test_the_public_text_search_can_use_the_grams_index_for_words_of_any_length(db):
    """Words of one, two and more characters are all looked up in publishedgoal_search_grams
    (reports/migrations/0008): none has to read every row to find out that it is rare."""
    for query in ("窓", "窓口", "インフルエンサー ｓｎｓ"):
        goals = PublishedGoal.objects.filter(text_q(split_terms(query), connection))
        with connection.cursor() as cursor:
            # Only a bitmap scan is left to choose, and only the grams' index can drive one here.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            plan = goals.explain()
        assert "Bitmap Index Scan on publishedgoal_search_grams" in plan, (query, plan)


# --- データ取込 -----------------------------------------------------------------------------------


def import_page_queries(client, office, departments, year):
    """The queries of the preview and of 確定 (the job run at once) for a file of `departments`."""
    data = synthetic_csv(departments, year=year, office=(office.municipality_code, office.name))
    at = {"office": office.slug, "year": year}
    with CaptureQueriesContext(connection) as preview:
        page = client.post(
            reverse("publishing:import_table", kwargs=at), {"file": SimpleUploadedFile("t.csv", data)}
        )
    with CaptureQueriesContext(connection) as confirm:
        done = client.post(reverse("publishing:import_table_confirm", kwargs=at), {"token": page.context["token"]})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert GoalSheet.objects.filter(fiscal_year__office=office, fiscal_year__year=year).count() == departments
    return len(preview), len(confirm)


def test_a_data_imports_queries_do_not_grow_with_its_rows(client, db):
    office = OfficeFactory()
    approver = MembershipFactory(department__office=office, role=Role.APPROVER).user
    client.force_login(approver)
    assert import_page_queries(client, office, 3, 2018) == import_page_queries(client, office, 25, 2019)
