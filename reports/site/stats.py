"""A year in numbers: goals per 区分 and results per 達成度評価 (public), submission timeliness (staff).

The goal numbers come from the current publication's frozen rows, so they match what was
published. Timeliness (how many departments submitted by the deadline) comes from the live
workflow record (ReviewEvent) and the year's deadlines: internal information, shown to the
office's approvers only (reports.views.submissions), as counts.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Min, Q
from django.utils import timezone

from goals.models import EventAction, FiscalYear, GoalSheet, Phase
from reports.models import Publication, PublicationKind, PublishedGoal
from reports.search.selectors import ordered_tags
from reports.selectors import current_publications
from reports.site.charts import BarChart, Count, bar_chart
from reports.table import TAG_SEPARATOR

UNCATEGORISED = "区分なし"
UNRATED = "評価なし"

ON_TIME = "期限内"
LATE = "期限後"
NO_DEADLINE = "締切の設定なし"
NO_RECORD = "提出記録なし"
TIMELINESS_LABELS = (ON_TIME, LATE, NO_DEADLINE, NO_RECORD)


def current_publication_of(fiscal_year: FiscalYear) -> Publication | None:
    """The publication the public sees of the year, or None before one is published. One query."""
    return Publication.objects.filter(
        pk__in=current_publications(), fiscal_year=fiscal_year
    ).first()


@dataclass(frozen=True)
class YearStatistics:
    fiscal_year: FiscalYear
    publication: Publication
    goal_count: int
    department_count: int
    categories: list[Count]
    ratings: list[Count] | None  # None where the year has no rating scale or no results

    @property
    def multi_tagged(self) -> bool:
        """Whether some goal is counted under more than one 区分."""
        return sum(c.value for c in self.categories) > self.goal_count


def year_statistics(fiscal_year: FiscalYear, publication: Publication) -> YearStatistics:
    """Every number of the public statistics page. Three queries."""
    rows = list(
        PublishedGoal.objects.filter(publication=publication).values_list(
            "categories", "rating", "department_code"
        )
    )
    with_results = publication.kind == PublicationKind.RESULT
    return YearStatistics(
        fiscal_year=fiscal_year,
        publication=publication,
        goal_count=len(rows),
        department_count=len({code for _, _, code in rows}),
        categories=goals_per_category(categories for categories, _, _ in rows),
        ratings=results_per_rating(fiscal_year, [rating for _, rating, _ in rows])
        if with_results
        else None,
    )


def goals_per_category(joined_categories) -> list[Count]:
    """How many goals carry each 区分 ("・"-joined per goal), in the office's order; 区分なし last.

    A goal with two tags counts under both, as the published table shows it under both.
    """
    counter = Counter()
    for joined in joined_categories:
        counter.update([tag for tag in joined.split(TAG_SEPARATOR) if tag] or [UNCATEGORISED])
    tags = ordered_tags(set(counter) - {UNCATEGORISED})
    if counter[UNCATEGORISED]:
        tags.append(UNCATEGORISED)
    return [Count(tag, counter[tag]) for tag in tags]


def results_per_rating(fiscal_year: FiscalYear, ratings: list[str]) -> list[Count] | None:
    """How many results got each step of the year's scale (scale order), or None without a scale."""
    scale = list(fiscal_year.rating_levels.order_by("order").values_list("label", flat=True))
    counter = Counter(ratings)
    # A label published under a scale that was later renamed still counts, after the scale.
    labels = scale + sorted(label for label in counter if label and label not in scale)
    if not labels:
        return None
    counts = [Count(label, counter[label]) for label in labels]
    if counter[""]:
        counts.append(Count(UNRATED, counter[""]))
    return counts


def submission_timeliness(fiscal_year: FiscalYear, phases) -> dict:
    """Per phase, how many sheets were first submitted by the deadline, after it, with no deadline
    set, or never (imported years have no submissions). One query."""
    firsts = {
        phase: Min(
            "events__created_at", filter=Q(events__phase=phase, events__action=EventAction.SUBMIT)
        )
        for phase in phases
    }
    sheets = (
        GoalSheet.objects.filter(fiscal_year=fiscal_year).annotate(**firsts).values_list(*firsts)
    )
    deadlines = {Phase.PLAN: fiscal_year.plan_deadline, Phase.RESULT: fiscal_year.result_deadline}
    counters = {phase: Counter() for phase in phases}
    for firsts_of_sheet in sheets:
        for phase, submitted_at in zip(phases, firsts_of_sheet, strict=True):
            counters[phase][timeliness(submitted_at, deadlines[phase])] += 1
    return {
        phase: [Count(label, counters[phase][label]) for label in TIMELINESS_LABELS]
        for phase in phases
    }


def timeliness(submitted_at: datetime | None, deadline: date | None) -> str:
    """On time when first submitted on or before the deadline day (in the office's time zone)."""
    if submitted_at is None:
        return NO_RECORD
    if deadline is None:
        return NO_DEADLINE
    return ON_TIME if timezone.localdate(submitted_at) <= deadline else LATE


@dataclass(frozen=True)
class YearCharts:
    categories: BarChart
    ratings: BarChart | None


def year_charts(stats: YearStatistics) -> YearCharts:
    """The public statistics as bar charts, each with the headings of its data table."""
    ratings = None
    if stats.ratings is not None:
        ratings = bar_chart(
            id="chart-ratings",
            title="達成度評価別の目標数",
            counts=stats.ratings,
            label_heading="達成度評価",
        )
    return YearCharts(
        categories=bar_chart(
            id="chart-categories",
            title="区分別の目標数",
            counts=stats.categories,
            label_heading="区分",
        ),
        ratings=ratings,
    )


def timeliness_charts(timeliness: dict) -> list[tuple[str, BarChart]]:
    """(phase label, chart) of submission_timeliness' counts, 目標設定 first (the staff page)."""
    return [
        (
            Phase(phase).label,
            bar_chart(
                id=f"chart-timeliness-{phase}",
                title=f"{Phase(phase).label}の提出状況 (締切との比較)",
                counts=counts,
                label_heading="提出の状況",
                value_heading="部署数",
                unit="部署",
            ),
        )
        for phase, counts in timeliness.items()
    ]
