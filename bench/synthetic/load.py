"""Synthetic offices and years written in bulk, in the shape approval and 公表 leave them.

Every sheet is approved for goals and results (with its 提出 and 承認 events), and every year has
a current publication: its frozen table and one PublishedGoal per goal, exactly what
reports.publishing.services.publication_request stores (the same published_goals()), so that the public
pages, the search, open data and statistics read the data as they read a real year. Files are
rendered, by the publishing task itself, only for the years asked for (load_scale's `render`):
a national data set cannot afford a PDF for every year.

Rows are written in batches of whole offices, by COPY on PostgreSQL and bulk_create on SQLite,
with their primary keys handed out beforehand (_Ids). Field history (django-simple-history) is
not written for generated rows.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, connections, models, transaction
from django.db.models import Max
from django.utils import timezone
from psycopg.types.json import Jsonb

from bench.synthetic.names import department_sections, municipalities
from bench.synthetic.text import SeedCorpus, TextGenerator
from departments.models import Department, Membership, Office, Role
from goals import models as goals_models
from goals.models import (
    Category,
    EventAction,
    FiscalYear,
    Goal,
    GoalSheet,
    Phase,
    PolicyPrinciple,
    RatingLevel,
    Result,
    ReviewEvent,
    SheetStatus,
)
from goals.printed import TableDepartment, TableGoal, TableResult, clean_text
from reports.models import Publication, PublicationKind, PublicationStatus, PublishedGoal
from reports.publishing.services import publication_render, published_goals
from reports.table import PublicTable

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_YEAR = 2015
RATINGS = (("達成", 55), ("概ね達成", 35), ("未達成", 10))
RATING_WEIGHTS = [weight for _, weight in RATINGS]
OMITTED_PERCENT = 3
OMISSION_REASONS = (
    "※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします",
    "※大規模災害への対応状況を踏まえ、総括を省略とします",
    "※組織改編により業務を移管したため、総括を省略とします",
)
OWN_NAME = "区役所"  # in generated text, replaced by the office's own name
WARD_SIZE = 25  # departments per ward when one office stands for a whole city
MAX_POOL = 50_000  # sentences per field; beyond this many, sentences recur across offices


@dataclass(frozen=True)
class Scale:
    """How much to generate: offices × departments × goals per department × years."""

    name: str
    offices: int
    departments: int
    goals: int
    years: int

    @property
    def goal_count(self) -> int:
        return self.offices * self.departments * self.goals * self.years


SCALES = {
    # One city: 7 wards of 25 departments, 3 goals each, over 10 years.
    "city": Scale("city", offices=7, departments=25, goals=3, years=10),
    # Every municipality of Japan (1,741), the same shape: about 1.3 million goals.
    "nation": Scale("nation", offices=1741, departments=25, goals=3, years=10),
}


@dataclass
class LoadSummary:
    offices: int = 0
    fiscal_years: int = 0
    sheets: int = 0
    goals: int = 0
    publications: int = 0
    rendered: int = 0
    seconds: float = 0.0


def load_scale(
    scale: Scale,
    *,
    seed: int = 0,
    city: str = "",
    first_year: int = FIRST_YEAR,
    render: Callable[[Office, int], bool] | None = None,
    first_office: int = 0,
    offices_per_batch: int = 20,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Write the scale's offices, years, approved sheets and current publications.

    `city` names the city whose wards the offices are (架空市…区役所); without it they are
    municipalities of their own. `first_office` skips that many municipalities, so that another
    load into the same database does not repeat their names. The same seed writes the same data
    (but for primary keys) whatever the number of `workers` (processes; PostgreSQL only).

    Publications for which `render(office, year)` is true are left PENDING, as 公表 leaves
    them, and rendered by the publishing task itself (reports.publishing.services.publication_render):
    HTML, PDF, XLSX and CSV stored, then PUBLISHED. The others are PUBLISHED with their frozen
    table and rows but no files: search, open data and statistics see them, while their year
    page and downloads are 404 (a national data set cannot afford a PDF for every year).
    """
    started = time.monotonic()
    corpus = SeedCorpus.load()
    texts = TextGenerator(
        corpus, seed=seed, pool_size=min(MAX_POOL, max(500, 2 * scale.goal_count))
    )
    builder = _Builder(corpus, texts, seed, scale, first_year, render)
    places = municipalities(scale.offices, seed=seed, wards_of=city, start=first_office)
    batches = [places[i : i + offices_per_batch] for i in range(0, len(places), offices_per_batch)]
    summary, to_render = LoadSummary(), []
    _forked["builder"] = builder  # inherited by forked workers rather than pickled for each job
    try:
        if workers > 1 and connection.vendor == "postgresql":
            connections.close_all()  # each process opens its own
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.imap(_write_batch, enumerate(batches))
                _collect(summary, to_render, done, started, progress)
        else:
            _collect(summary, to_render, map(_write_batch, enumerate(batches)), started, progress)
    finally:
        _forked.clear()
    for publication_id in to_render:
        publication_render(publication_id)
        summary.rendered += 1
    summary.seconds = time.monotonic() - started
    return summary


def _collect(summary, to_render, done, started, progress):
    for counts, publication_ids in done:
        for name, count in counts.items():
            setattr(summary, name, getattr(summary, name) + count)
        to_render += publication_ids
        if progress:
            progress(f"{summary.goals:,} goals, {time.monotonic() - started:.0f} s")


_forked = {}


def _write_batch(job):
    """Build and write one batch of offices; what it wrote, and the publications to render."""
    number, places = job
    builder = _forked["builder"]
    batch = _Batch()
    builder.restart(number)
    for place in places:
        builder.office(batch, place)
    batch.write()
    counts = {
        name: len(batch.rows[model])
        for name, model in (
            ("offices", Office),
            ("fiscal_years", FiscalYear),
            ("sheets", GoalSheet),
            ("goals", Goal),
            ("publications", Publication),
        )
    }
    return counts, batch.to_render


# In the order they are written: every row refers only to rows written before it.
_MODELS = (
    Office,
    Department,
    Category,
    get_user_model(),
    Membership,
    FiscalYear,
    FiscalYear.categories.through,
    PolicyPrinciple,
    RatingLevel,
    GoalSheet,
    Goal,
    Goal.categories.through,
    Result,
    ReviewEvent,
    Publication,
    PublishedGoal,
)


class _Batch:
    """The rows of some offices, by model, written in dependency order in one transaction."""

    def __init__(self):
        self.rows = {model: [] for model in _MODELS}
        self.to_render = []  # publication ids

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    @transaction.atomic
    def write(self):
        insert = _copy if connection.vendor == "postgresql" else _bulk_create
        for model in _MODELS:
            if self.rows[model]:
                insert(model, self.rows[model])


def _bulk_create(model, objects):
    with _given_times_kept(model, objects):
        model.objects.bulk_create(objects, batch_size=500)


@contextmanager
def _given_times_kept(model, objects):
    """bulk_create keeping the times given (events happened in the past), now where none is."""
    fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    now = timezone.now()
    for f in fields:
        for obj in objects:
            if getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def _copy(model, objects):
    """PostgreSQL's COPY. bulk_create would send arrays that psycopg escapes in Python: ten times
    slower at this size. Every object has its primary key and foreign keys set already (_Ids)."""
    meta = model._meta
    now = timezone.now()
    getters = [_column_value(f, now) for f in meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in meta.concrete_fields)
    with connection.cursor() as cursor:
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objects:
                values = obj.__dict__
                copy.write_row([get(values) for get in getters])
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _column_value(model_field, now):
    """How to read one column's value from an object's __dict__, ready for COPY."""
    name = model_field.attname
    if isinstance(model_field, models.JSONField):
        return lambda values: Jsonb(values[name])
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return lambda values: values[name] or now
    return lambda values: values[name]


def _plain(value):
    """PublicTable.to_json() without dataclasses.asdict's deep copies, which cost minutes here."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


class _Ids:
    """Primary keys handed out before anything is written, so that rows can refer to each other.

    On PostgreSQL they are taken from each table's sequence, a block at a time; on SQLite they
    continue from the largest id (one writer at a time there).
    """

    BLOCK = 10_000

    def __init__(self):
        self._free, self._next = {}, {}

    def __call__(self, model) -> int:
        free = self._free.get(model)
        if not free:
            free = self._free[model] = deque(self._reserve(model))
        return free.popleft()

    def _reserve(self, model):
        meta = model._meta
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, self.BLOCK],
                )
                return [pk for (pk,) in cursor.fetchall()]
        if model not in self._next:
            self._next[model] = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        start = self._next[model]
        self._next[model] = start + self.BLOCK
        return range(start, start + self.BLOCK)


class _Builder:
    """Makes the model instances of one office after another, with their keys (nothing is saved)."""

    def __init__(self, corpus, texts, seed, scale, first_year, render):
        self.corpus, self.texts, self.seed, self.scale = corpus, texts, seed, scale
        self.first_year, self.render = first_year, render
        self.rng = random.Random()
        self.tags = corpus.tags
        self.policy = tuple(clean_text(text) for text in corpus.policy)
        self.ids = _Ids()

    def restart(self, key):
        """Draw what follows from (seed, key) alone, like TextGenerator.restart."""
        self.rng.seed(f"load-{self.seed}-{key}")
        self.texts.restart(key)

    def new(self, batch, model, **fields):
        return batch.add(model(pk=self.ids(model), **fields))

    def office(self, batch: _Batch, place):
        office = self.new(
            batch,
            Office,
            name=place.office_name,
            slug=place.slug,
            municipality_name=place.name,
            municipality_code=place.code,
        )
        self.own_name = office.name
        departments = self._departments(batch, office)
        categories = [
            self.new(batch, Category, office_id=office.pk, name=name, sort_order=i * 10)
            for i, name in enumerate(self.tags)
        ]
        editors, approver = self._people(batch, departments)
        for year in range(self.first_year, self.first_year + self.scale.years):
            self._year(batch, office, year, departments, categories, editors, approver)

    def _departments(self, batch, office):
        count = self.scale.departments
        wards = (
            [""]
            if count <= WARD_SIZE
            else [f"第{n + 1}区役所 " for n in range(-(-count // WARD_SIZE))]
        )
        departments, parents = [], {}
        for ward in wards:
            size = min(WARD_SIZE, count - len(departments))
            for division, section in department_sections(size, self.rng):
                order = (len(departments) + 1) * 10
                if division not in parents:
                    parents[division] = self.new(
                        batch,
                        Department,
                        office_id=office.pk,
                        code=f"{len(parents) + 1:02d}",
                        name=division,
                        sort_order=order - 5,
                        writes_goals=False,
                    )
                departments.append(
                    self.new(
                        batch,
                        Department,
                        office_id=office.pk,
                        parent_id=parents[division].pk,
                        code=f"{len(departments) + 1:03d}",
                        name=f"{ward}{division} {section}",
                        sort_order=order,
                    )
                )
        return departments

    def _people(self, batch, departments):
        """An editor per department and one approver (総務課's role) per office."""
        User = get_user_model()
        editors = []
        for department in departments:
            editor = self.new(
                batch,
                User,
                username=f"u{department.pk}",
                last_name="職員",
                first_name=f"{department.code}番",
                password="!",
            )
            self.new(
                batch, Membership, user_id=editor.pk, department_id=department.pk, role=Role.EDITOR
            )
            editors.append(editor)
        approver = self.new(
            batch,
            User,
            username=f"shonin{departments[0].office_id}",
            last_name="承認",
            first_name="担当",
            password="!",
        )
        self.new(
            batch,
            Membership,
            user_id=approver.pk,
            department_id=departments[0].pk,
            role=Role.APPROVER,
        )
        return editors, approver

    def _year(self, batch, office, year, departments, categories, editors, approver):
        fiscal_year = self.new(
            batch,
            FiscalYear,
            office_id=office.pk,
            year=year,
            max_goals=self.scale.goals,
            plan_deadline=date(year, 5, 31),
            result_deadline=date(year + 1, 4, 30),
        )
        for category in categories:
            self.new(
                batch,
                FiscalYear.categories.through,
                fiscalyear_id=fiscal_year.pk,
                category_id=category.pk,
            )
        for number, text in enumerate(self.corpus.policy, 1):
            self.new(
                batch, PolicyPrinciple, fiscal_year_id=fiscal_year.pk, number=number, text=text
            )
        ratings = [
            self.new(batch, RatingLevel, fiscal_year_id=fiscal_year.pk, order=n, label=label)
            for n, (label, _) in enumerate(RATINGS, 1)
        ]
        table = PublicTable(
            office_name=office.name,
            office_slug=office.slug,
            municipality_name=office.municipality_name,
            municipality_code=office.municipality_code,
            year=year,
            kind=PublicationKind.RESULT,
            policy=self.policy,
            departments=tuple(
                self._sheet(batch, fiscal_year, department, categories, ratings, editor, approver)
                for department, editor in zip(departments, editors, strict=True)
            ),
            has_rating=True,
        )
        self._publication(batch, office, fiscal_year, table)

    def _publication(self, batch, office, fiscal_year, table):
        """The year's 目標と実績 as 公表 freezes it; rendered later when `render` asks for it."""
        publication = self.new(
            batch,
            Publication,
            fiscal_year_id=fiscal_year.pk,
            kind=PublicationKind.RESULT,
            version=1,
            table=_plain(table),
        )
        if self.render and self.render(office, fiscal_year.year):
            batch.to_render.append(publication.pk)  # PENDING, as publication_request leaves it
        else:
            publication.status, publication.progress = PublicationStatus.PUBLISHED, 100
            publication.published_at = datetime(fiscal_year.year + 1, 6, 1, 10, 0, tzinfo=TOKYO)
        for row in published_goals(publication, table):
            row.pk = self.ids(PublishedGoal)
            batch.add(row)

    def _sheet(self, batch, fiscal_year, department, categories, ratings, editor, approver):
        sheet = self.new(
            batch,
            GoalSheet,
            department_id=department.pk,
            fiscal_year_id=fiscal_year.pk,
            plan_status=SheetStatus.APPROVED,
            result_status=SheetStatus.APPROVED,
        )
        self._events(batch, sheet, fiscal_year, editor, approver)
        goals = tuple(
            self._goal(batch, sheet, number, categories, ratings)
            for number in range(1, self.scale.goals + 1)
        )
        return TableDepartment(code=department.code, name=clean_text(department.name), goals=goals)

    def _goal(self, batch, sheet, number, categories, ratings):
        rng = self.rng
        goal = self.new(
            batch,
            Goal,
            sheet_id=sheet.pk,
            number=number,
            objective=self._text("objective", goals_models.MAX_OBJECTIVE),
            actions=self._text("actions", goals_models.MAX_ACTIONS),
        )
        names = set(rng.choice(self.corpus.tag_sets))
        tags = [
            c for c in categories if c.name in names
        ]  # categories are in (sort_order, name) order
        for category in tags:
            self.new(batch, Goal.categories.through, goal_id=goal.pk, category_id=category.pk)
        if rng.randrange(100) < OMITTED_PERCENT:
            result = self.new(
                batch,
                Result,
                goal_id=goal.pk,
                is_omitted=True,
                omitted_reason=rng.choice(OMISSION_REASONS),
            )
            rating = ""
        else:
            level = rng.choices(ratings, weights=RATING_WEIGHTS)[0]
            result = self.new(
                batch,
                Result,
                goal_id=goal.pk,
                rating_id=level.pk,
                done=self._text("done", goals_models.MAX_DONE),
                achievement=self._text("achievement", goals_models.MAX_ACHIEVEMENT),
            )
            rating = level.label
        return TableGoal(
            number=number,
            categories=tuple(c.name for c in tags),
            objective=clean_text(goal.objective),
            actions=clean_text(goal.actions),
            result=TableResult(
                done=clean_text(result.done),
                achievement=clean_text(result.achievement),
                rating=rating,
                omitted_reason=clean_text(result.omitted_reason),
            ),
        )

    def _text(self, field, limit):
        """Generated text in which 区役所 is this office, as an office writes of itself: its name
        is then a word found in its own goals only, as place names are in real tables."""
        margin = 10 * (len(self.own_name) - len(OWN_NAME))
        text = self.texts.text(field, limit - margin).replace(OWN_NAME, self.own_name)
        return text[:limit]

    def _events(self, batch, sheet, fiscal_year, editor, approver):
        """提出 then 承認 of each phase; some sheets are submitted after the deadline."""
        rng = self.rng
        for phase, deadline in (
            (Phase.PLAN, fiscal_year.plan_deadline),
            (Phase.RESULT, fiscal_year.result_deadline),
        ):
            submitted = datetime.combine(deadline, datetime.min.time(), TOKYO) + timedelta(
                days=rng.randint(-20, 3), hours=rng.randint(9, 17)
            )
            approved = submitted + timedelta(days=rng.randint(1, 7))
            for action, actor, when in (
                (EventAction.SUBMIT, editor, submitted),
                (EventAction.APPROVE, approver, approved),
            ):
                self.new(
                    batch,
                    ReviewEvent,
                    sheet_id=sheet.pk,
                    phase=phase,
                    action=action,
                    actor_id=actor.pk,
                    created_at=when,
                )
