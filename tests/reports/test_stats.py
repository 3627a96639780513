"""The statistics page of a published year: numbers that match the seed, accessible SVG charts with
their data tables, ratings where a scale exists; and submission timeliness against deadlines, which
is internal: on a staff page for the office's approvers, never on the public one."""

import re
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Department, Role
from goals.models import EventAction, GoalSheet, Phase, RatingLevel, Result, ReviewEvent
from reports.models import PublicationKind, PublicationStatus
from reports.table import build_table
from tests.factories import MembershipFactory
from tests.personas import client_for
from tests.reports.helpers import approved_year
from tests.reports.published_helpers import publish

TOKYO = ZoneInfo("Asia/Tokyo")


def stats_url(year, office="nakahara"):
    return reverse("reports:stats", kwargs={"office": office, "year": year})


def timeliness_url(year, office="nakahara"):
    return reverse("publishing:timeliness", kwargs={"office": office, "year": year})


def office_member(fiscal_year, role):
    department = Department.objects.filter(office=fiscal_year.office).first()
    return client_for(MembershipFactory(department=department, role=role).user)


def table_counts(body, caption):
    """{label: number} of the data table with that caption."""
    table = re.search(rf"<caption>{re.escape(caption)} \(数値\)</caption>(.*?)</table>", body, re.S)
    assert table, f"no data table {caption}"
    return {
        label: int(n)
        for label, n in re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table.group(1))
    }


@pytest.fixture
def published(seed_year):
    return publish(seed_year)


def test_goals_per_category_match_the_seed(client, seed_year, published):
    table = build_table(seed_year, PublicationKind.RESULT)
    goals = [goal for department in table.departments for goal in department.goals]
    expected = Counter(tag for goal in goals for tag in goal.categories)
    expected["区分なし"] = sum(1 for goal in goals if not goal.categories)

    response = client.get(stats_url(2020))

    assert response.status_code == 200
    body = response.content.decode()
    counts = table_counts(body, "区分別の目標数")
    assert counts == dict(expected)
    assert counts["共通"] == sum(1 for goal in goals if "共通" in goal.categories) > 10
    assert counts["区分なし"] >= 2  # the seed's 区民課 goals 2 and 3
    assert list(counts)[-1] == "区分なし"
    assert f"目標 {len(goals)} 件 ({len(table.departments)} 部署)" in body


def test_charts_are_accessible_svg_beside_a_data_table(client, published):
    body = client.get(stats_url(2020)).content.decode()

    svgs = re.findall(r"<svg [^>]*>.*?</svg>", body, re.S)
    assert len(svgs) == 1  # 区分 (the seed has no rating scale)
    for svg in svgs:
        labelled_by = re.search(r'role="img" aria-labelledby="([^"]+)"', svg).group(1)
        title = re.search(rf'<title id="{labelled_by}">([^<]+)</title>', svg)
        assert title and re.search(r"\d", title.group(1)), "the accessible name states the numbers"
    assert body.count("<figure") == body.count("<figcaption>") == 1
    assert body.count('<th scope="col">') == 2
    assert not re.search(r"<script(?![^>]* src=)", body), "drawn on the server: no inline script"


def test_the_svg_title_states_every_number_of_its_table(client, published):
    body = client.get(stats_url(2020)).content.decode()
    title = re.search(r'<title id="chart-categories-title">([^<]+)</title>', body).group(1)
    for label, value in table_counts(body, "区分別の目標数").items():
        assert f"{label} {value}件" in title


def test_the_seed_has_no_rating_scale_and_says_so(client, published):
    body = client.get(stats_url(2020)).content.decode()
    assert "この年度は達成度の評価段階を定めていません。" in body


def test_results_per_rating_follow_the_scale(client, nakahara):
    year = approved_year(departments=2, office=nakahara, year=2021)  # 6 goals
    levels = [
        RatingLevel.objects.create(fiscal_year=year, order=i, label=label)
        for i, label in enumerate(("達成", "概ね達成", "未達成"))
    ]
    results = list(Result.objects.filter(goal__sheet__fiscal_year=year).order_by("pk"))
    for result, level in zip(
        results, [levels[0], levels[0], levels[0], levels[2], None, None], strict=True
    ):
        result.rating = level
        result.save()
    publish(year)

    counts = table_counts(client.get(stats_url(2021)).content.decode(), "達成度評価別の目標数")

    assert counts == {"達成": 3, "概ね達成": 0, "未達成": 1, "評価なし": 2}


def _submit(sheet, phase, when):
    event = ReviewEvent.objects.create(sheet=sheet, phase=phase, action=EventAction.SUBMIT)
    ReviewEvent.objects.filter(pk=event.pk).update(created_at=when)


def test_submission_timeliness_against_the_deadlines_is_for_the_offices_approvers(client, nakahara):
    year = approved_year(departments=4, office=nakahara, year=2021)
    year.plan_deadline = date(2021, 5, 31)
    year.save()
    on_time, late, resubmitted, never = GoalSheet.objects.filter(fiscal_year=year).order_by(
        "department__sort_order"
    )
    _submit(
        on_time, Phase.PLAN, datetime(2021, 5, 31, 23, 30, tzinfo=TOKYO)
    )  # the deadline day, Tokyo time
    _submit(late, Phase.PLAN, datetime(2021, 6, 1, 0, 30, tzinfo=TOKYO))
    # The first submission counts: a resubmission after a return is not "late".
    _submit(resubmitted, Phase.PLAN, datetime(2021, 5, 20, 9, 0, tzinfo=TOKYO))
    _submit(resubmitted, Phase.PLAN, datetime(2021, 6, 10, 9, 0, tzinfo=TOKYO))
    for sheet in (on_time, late):
        _submit(
            sheet, Phase.RESULT, datetime(2022, 4, 20, 9, 0, tzinfo=TOKYO)
        )  # no result deadline
    publish(year)

    public = client.get(stats_url(2021)).content.decode()
    response = office_member(year, Role.APPROVER).get(timeliness_url(2021))

    for internal in ("提出状況", "期限内", "期限後", "提出記録なし"):
        assert internal not in public
    assert response.status_code == 200
    body = response.content.decode()
    assert "この集計は職員向けの内部情報です。" in body
    assert table_counts(body, "目標設定の提出状況 (締切との比較)") == {
        "期限内": 2,
        "期限後": 1,
        "締切の設定なし": 0,
        "提出記録なし": 1,
    }
    assert table_counts(body, "実績報告の提出状況 (締切との比較)") == {
        "期限内": 0,
        "期限後": 0,
        "締切の設定なし": 2,
        "提出記録なし": 2,
    }


def test_a_goals_only_year_has_no_result_sections(client, seed_year):
    publish(seed_year, kind=PublicationKind.PLAN)
    body = client.get(stats_url(2020)).content.decode()
    assert "区分別の目標数" in body
    assert "達成度評価" not in body and "提出状況" not in body


def test_timeliness_is_refused_to_viewers_and_hidden_from_everyone_else(nakahara):
    year = approved_year(departments=1, office=nakahara, year=2021)
    viewer = office_member(year, Role.VIEWER).get(timeliness_url(2021))
    assert viewer.status_code == 403
    assert "締切に対する提出状況の集計は、総務課の承認者だけが見られます。" in viewer.content.decode()
    assert office_member(year, Role.EDITOR).get(timeliness_url(2021)).status_code == 404
    assert client_for(MembershipFactory(role=Role.APPROVER).user).get(timeliness_url(2021)).status_code == 404


@pytest.mark.parametrize("status", [PublicationStatus.RENDERING, PublicationStatus.FAILED])
def test_no_statistics_before_a_version_is_published(client, seed_year, status):
    publish(seed_year, status=status)
    assert client.get(stats_url(2020)).status_code == 404


def test_unknown_office_or_year_is_404(client, published):
    assert client.get(stats_url(2019)).status_code == 404
    assert client.get(stats_url(2020, office="nowhere")).status_code == 404


def test_statistics_take_a_constant_number_of_queries(client, nakahara):
    sizes = []
    for departments, year in ((1, 2030), (30, 2031)):
        publish(approved_year(departments=departments, office=nakahara, year=year))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(stats_url(year)).status_code == 200
        sizes.append(len(queries))
    assert sizes[0] == sizes[1] <= 8


def test_timeliness_takes_a_constant_number_of_queries(nakahara):
    sizes = []
    for departments, year in ((1, 2030), (30, 2031)):
        fiscal_year = approved_year(departments=departments, office=nakahara, year=year)
        client = office_member(fiscal_year, Role.APPROVER)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(timeliness_url(year)).status_code == 200
        sizes.append(len(queries))
    # The session, the user, the office, the memberships, the year, the counts (one query);
    # then the session saved (a savepoint, the update, its release).
    assert sizes[0] == sizes[1] <= 9
