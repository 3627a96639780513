"""Prepared querysets and read-only views of goal sheets."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q

from departments.models import Department, Membership, Role
from departments.people import person_name
from goals import rules
from goals.models import EventAction, FiscalYear, Goal, GoalCategory, GoalSheet, Phase, ReviewEvent, SheetStatus


def goal_tags():
    """The prefetch that gives each goal its tags in its own order (Goal.ordered_categories), in one query."""
    return Prefetch("category_links", queryset=GoalCategory.objects.select_related("category"))


def sheet_goals(sheet):
    """The sheet's goals in number order with their tags and results, in two queries."""
    return (
        Goal.objects.filter(sheet=sheet)
        .select_related("result__rating")
        .prefetch_related(goal_tags())
        .order_by("number")
    )


def sheets_with_content(*, fiscal_year):
    """Every sheet of a year with departments, goals, tags and results prefetched."""
    goals = Goal.objects.select_related("result__rating").prefetch_related(goal_tags()).order_by("number")
    return (
        GoalSheet.objects.filter(fiscal_year=fiscal_year)
        .select_related("department")
        .prefetch_related(Prefetch("goals", queryset=goals))
        .order_by("department__sort_order", "department__code")
    )


def content_entry(*, number, categories, objective, actions, result=None):
    """One goal in the plain-data shape of sheet_content; result is a result_entry() or None."""
    return {
        "number": number,
        "categories": list(categories),  # in the goal's own order: a new order is a change
        "objective": objective,
        "actions": actions,
        "result": result,
    }


def result_entry(*, done, achievement, rating, omitted_reason):
    return {
        "done": done,
        "achievement": achievement,
        "rating": rating,
        "is_omitted": bool(omitted_reason),
        "omitted_reason": omitted_reason,
    }


def goal_content(goal):
    """A goal's text, tags and result as plain data, for snapshots and comparisons."""
    result = getattr(goal, "result", None)
    return content_entry(
        number=goal.number,
        categories=[c.name for c in goal.ordered_categories()],
        objective=goal.objective,
        actions=goal.actions,
        result=None
        if result is None
        else result_entry(
            done=result.done,
            achievement=result.achievement,
            rating=result.rating.label if result.rating else None,
            omitted_reason=result.omitted_reason if result.is_omitted else "",
        ),
    )


def sheet_content(sheet, goals=None):
    """The sheet's content as plain data: what a ReviewEvent stores and what an import compares."""
    goals = sheet_goals(sheet) if goals is None else goals
    return {"goals": [goal_content(goal) for goal in goals]}


# --- Review: the approver's dashboard, the years page, the confirm pages and reminders ---------

# Statuses in which a sheet is still with its department, not yet with 総務課.
PENDING_STATUSES = rules.EDITABLE_STATUSES
# Events that send a sheet back to its department.
RETURN_ACTIONS = (EventAction.RETURN, EventAction.REOPEN)


def past_deadline_note(*, what, deadline, today, is_open) -> str:
    """A deadline set before today, said after saving it rather than refused: it may be a slip of
    the year (2022 for 2026), or a correction of the record. "" for today or later, or none."""
    if deadline is None or deadline >= today:
        return ""
    note = (
        f"{what}の締切日 ({deadline:%Y}年{deadline.month}月{deadline.day}日) は、"
        f"今日 ({today:%Y}年{today.month}月{today.day}日) より前の日付です。"
    )
    if is_open:
        note += "受付中のため、まだ提出していない部署はすべて期限超過と表示されます。"
    return note + "日付が正しければ、このままでかまいません。誤りであれば、締切日を直して更新してください。"


def is_overdue(status, deadline, today) -> bool:
    """Past the deadline and still with the department (neither submitted nor approved)."""
    return deadline is not None and deadline < today and status in PENDING_STATUSES


@dataclass(frozen=True)
class ReviewActions:
    """承認 / 差戻し / 承認取消 of one phase of a sheet, for one person, as the rule book allows."""

    approve: bool = False
    send_back: bool = False  # 差戻し
    reopen: bool = False  # 承認取消
    note: str = ""  # why 承認 is refused to this person while the sheet waits for review

    @property
    def any(self):
        return self.approve or self.send_back or self.reopen


def review_actions(sheet, phase, *, by, can_review: bool, events=None) -> ReviewActions:
    """The review steps this person may take on the sheet's phase now (events: as for the rules)."""
    if not can_review:
        return ReviewActions()
    approve = rules.approve_refusal(sheet, phase, by=by, events=events)
    send_back = rules.return_refusal(sheet, phase) is None
    return ReviewActions(
        approve=approve is None,
        send_back=send_back,
        reopen=rules.reopen_refusal(sheet, phase) is None,
        note=(approve or "") if send_back else "",
    )


@dataclass(frozen=True)
class PhaseState:
    """One phase of one sheet as the dashboard shows it, with the viewer's review steps."""

    phase: str
    status: str
    deadline: date | None
    last_submit: ReviewEvent | None
    last_return: ReviewEvent | None
    overdue: bool
    review: ReviewActions = ReviewActions()

    @property
    def status_label(self):
        return SheetStatus(self.status).label

    @property
    def resubmitted(self):
        """Submitted again after a return: the approver wants to see what changed."""
        return bool(self.last_return and self.last_submit and _after(self.last_submit, self.last_return))


def _after(event, other):
    return (event.created_at, event.pk) > (other.created_at, other.pk)


@dataclass(frozen=True)
class DashboardRow:
    sheet: GoalSheet
    plan: PhaseState
    result: PhaseState

    @property
    def phases(self):
        return (self.plan, self.result)


def dashboard_rows(*, fiscal_year, today, by=None, can_review=False) -> list[DashboardRow]:
    """Every sheet of the year in published order with both phases' state and the review steps
    `by` may take (when they may review at all). Two queries in all."""
    sheets = (
        GoalSheet.objects.filter(fiscal_year=fiscal_year)
        .select_related("department")
        .order_by("department__sort_order", "department__code")
    )
    events = _year_review_events(fiscal_year)
    deadlines = {Phase.PLAN: fiscal_year.plan_deadline, Phase.RESULT: fiscal_year.result_deadline}

    def state(sheet, phase, status):
        phase_events = events.get((sheet.pk, phase), [])
        return PhaseState(
            phase=phase,
            status=status,
            deadline=deadlines[phase],
            last_submit=_latest(phase_events, (EventAction.SUBMIT,)),
            last_return=_latest(phase_events, RETURN_ACTIONS),
            overdue=is_overdue(status, deadlines[phase], today),
            review=review_actions(sheet, phase, by=by, can_review=can_review, events=phase_events),
        )

    return [
        DashboardRow(
            sheet=sheet,
            plan=state(sheet, Phase.PLAN, sheet.plan_status),
            result=state(sheet, Phase.RESULT, sheet.result_status),
        )
        for sheet in sheets
    ]


@dataclass(frozen=True)
class Worklist:
    """An approver's share of the year: what waits for 承認 and what is past its deadline."""

    waiting: list[tuple[GoalSheet, PhaseState]]  # 承認待ち, in published order
    overdue: list[tuple[GoalSheet, PhaseState]]  # 期限超過: still with the department

    @property
    def waiting_for_others(self):
        """Waiting sheets this approver may not approve (they submitted or wrote them)."""
        return [(sheet, state) for sheet, state in self.waiting if not state.review.approve]


def review_worklist(*, fiscal_year, today, by) -> Worklist:
    """The approver's home: the year's sheets waiting for 承認 and those overdue (two queries)."""
    rows = dashboard_rows(fiscal_year=fiscal_year, today=today, by=by, can_review=True)
    pairs = [(row.sheet, state) for row in rows for state in row.phases]
    return Worklist(
        waiting=[(sheet, state) for sheet, state in pairs if state.status == SheetStatus.SUBMITTED],
        overdue=[(sheet, state) for sheet, state in pairs if state.overdue],
    )


def office_approvers(office):
    """The office's active approvers (総務課), in a stable order: one query."""
    User = get_user_model()
    return list(
        User.objects.filter(
            is_active=True, memberships__role=Role.APPROVER, memberships__department__office=office
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def approval_help(sheet, phase, *, by, events=None) -> str:
    """Where 承認 of the submitted phase is refused to `by` (who wrote or submitted it, 代理入力
    too): who may approve it instead, by name, or that nobody may and how to get a second
    approver (goals.rules.who_may_approve). "" where `by` may approve, or nothing waits."""
    if sheet.status_for(phase) != SheetStatus.SUBMITTED:
        return ""
    if rules.approve_refusal(sheet, phase, by=by, events=events) is None:
        return ""
    approvers = [person for person in office_approvers(sheet.fiscal_year.office) if person.pk != getattr(by, "pk", None)]
    allowed = rules.approvers_who_may_approve(sheet, phase, approvers, events=events)
    return rules.who_may_approve([person_name(person) for person in allowed])


def _year_review_events(fiscal_year):
    """{(sheet id, phase): its events oldest first} for the whole year, in one query: the 提出 and
    差戻し shown, and what the approval rule reads (who saved the content, the approvals)."""
    events = (
        ReviewEvent.objects.filter(
            sheet__fiscal_year=fiscal_year, action__in={*rules.AUTHORSHIP_ACTIONS, *RETURN_ACTIONS}
        )
        .select_related("actor")
        .defer("snapshot")  # the content is not shown here and can be large
        .order_by("created_at", "pk")
    )
    by_phase = {}
    for event in events:
        by_phase.setdefault((event.sheet_id, event.phase), []).append(event)
    return by_phase


def _latest(events, actions):
    return next((event for event in reversed(events) if event.action in actions), None)


@dataclass(frozen=True)
class PhaseProgress:
    """How far a phase of the year has got: the counts per status and the approved share."""

    phase: str
    is_open: bool
    deadline: date | None
    counts: dict
    total: int

    @property
    def label(self):
        return Phase(self.phase).label

    @property
    def approved(self):
        return self.counts.get(SheetStatus.APPROVED, 0)

    @property
    def percent(self):
        return round(100 * self.approved / self.total) if self.total else 0

    @property
    def status_counts(self):
        """(label, status, count) for every status, in workflow order."""
        return [(s.label, s.value, self.counts.get(s.value, 0)) for s in SheetStatus]


def phase_progress(*, fiscal_year, rows) -> list[PhaseProgress]:
    """Both phases' progress over all the year's sheets (not only the filtered ones)."""
    progress = []
    for phase, is_open, deadline in (
        (Phase.PLAN, fiscal_year.plan_open, fiscal_year.plan_deadline),
        (Phase.RESULT, fiscal_year.result_open, fiscal_year.result_deadline),
    ):
        counts = {}
        for row in rows:
            status = getattr(row, phase).status
            counts[status] = counts.get(status, 0) + 1
        progress.append(PhaseProgress(phase=phase, is_open=is_open, deadline=deadline, counts=counts, total=len(rows)))
    return progress


def _fold(text):
    # Full-width and half-width forms (ＡＢＣ/ABC, ｶﾀｶﾅ/カタカナ) and case should not matter in a search.
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def filter_dashboard_rows(rows, *, plan_status="", result_status="", overdue_only=False, query=""):
    """The rows matching the dashboard's filters; an empty filter matches everything."""
    needle = _fold(query)
    return [
        row
        for row in rows
        if (not plan_status or row.plan.status == plan_status)
        and (not result_status or row.result.status == result_status)
        and (not overdue_only or row.plan.overdue or row.result.overdue)
        and (not needle or needle in _fold(row.sheet.department.name))
    ]


def office_years(*, office):
    """The office's fiscal years, newest first (for year selectors)."""
    return FiscalYear.objects.filter(office=office).order_by("-year")


def fiscal_years_overview(*, office):
    """The office's years, newest first, with the number of sheets and of approved plans and results."""
    approved = SheetStatus.APPROVED
    return office_years(office=office).annotate(
        sheet_count=Count("sheets"),
        plan_approved=Count("sheets", filter=Q(sheets__plan_status=approved)),
        result_approved=Count("sheets", filter=Q(sheets__result_status=approved)),
    )


def sheets_with_goals_past(*, fiscal_year, number) -> list[tuple]:
    """The year's sheets with a goal numbered past `number`, as (department name, highest goal
    number, plan status), most goals first: what a lower 目標数の上限 would leave out (goals.rules)."""
    return list(
        GoalSheet.objects.filter(fiscal_year=fiscal_year)
        .annotate(highest=Max("goals__number"))
        .filter(highest__gt=number)
        .order_by("-highest", "department__sort_order", "department__code")
        .values_list("department__name", "highest", "plan_status")
    )


def highest_goal_number(*, fiscal_year) -> int:
    """The highest goal number any sheet of the year has (0 without goals): the lowest 目標数の上限."""
    return Goal.objects.filter(sheet__fiscal_year=fiscal_year).aggregate(highest=Max("number"))["highest"] or 0


def departments_with_goals(*, fiscal_year):
    """Departments still writing goals whose sheet of this year has goals: those that can be copied."""
    return (
        Department.objects.filter(
            office=fiscal_year.office,
            is_active=True,
            writes_goals=True,
            sheets__fiscal_year=fiscal_year,
            sheets__goals__isnull=False,
        )
        .distinct()
        .order_by("sort_order", "code")
    )


def departments_for_first_year(*, office) -> list:
    """The departments that get a sheet when the office's first year opens (active, writing goals)."""
    return list(Department.objects.filter(office=office, is_active=True, writes_goals=True).order_by("sort_order", "code"))


def sheet_phase_events(sheet, phase):
    """The sheet's workflow record for one phase, oldest first, without the stored content."""
    return sheet.events.filter(phase=phase).select_related("actor").defer("snapshot").order_by("created_at", "pk")


def content_at_version(sheet, version):
    """The sheet's content as a page opened at `version` showed it: the snapshot of the newest event
    that left the sheet at that version or an earlier one (every save and step bumps the version
    and writes one). None when no event tells."""
    event = (
        sheet.events.filter(sheet_version__isnull=False, sheet_version__lte=version)
        .order_by("-sheet_version", "-created_at", "-pk")
        .first()
    )
    return event.snapshot if event else None


def latest_return_event(sheet, phase):
    """The newest 差戻し or 承認取消 of the phase with who took it, without the stored content."""
    return (
        sheet.events.filter(phase=phase, action__in=RETURN_ACTIONS)
        .select_related("actor")
        .defer("snapshot")
        .order_by("-created_at", "-pk")
        .first()
    )


# "目標2", "目標 ２", "目標2・3", "目標2と目標3": the goals a review comment names, in its words.
_GOALS_NAMED = re.compile(r"目標\s*(\d+(?:\s*[・、,と及びおよ]+\s*(?:目標\s*)?\d+)*)")


def goal_numbers_named(comment) -> list[int]:
    """The goal numbers a 差戻し comment names, in order of first mention (digits of any width)."""
    numbers = []
    for match in _GOALS_NAMED.finditer(unicodedata.normalize("NFKC", comment or "")):
        for digits in re.findall(r"\d+", match.group(1)):
            if int(digits) not in numbers:
                numbers.append(int(digits))
    return numbers


def changed_since(sheet, phase, event):
    """The phase's 保存 and 提出 after `event` (a return), oldest first, with who took them and
    whether for the department (代理入力), without the stored content."""
    return list(
        sheet_phase_events(sheet, phase)
        .filter(action__in=(EventAction.SAVE, EventAction.SUBMIT))
        .filter(Q(created_at__gt=event.created_at) | Q(created_at=event.created_at, pk__gt=event.pk))
    )


def last_return_event(sheet, phase):
    """The newest 差戻し or 承認取消 of the phase (with its snapshot), or None."""
    return (
        sheet.events.filter(phase=phase, action__in=RETURN_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class DueSheet:
    """A sheet still with its department in an open phase whose deadline is near or past."""

    sheet: GoalSheet
    phase: str
    deadline: date

    @property
    def status(self):
        return self.sheet.status_for(self.phase)


def sheets_due(*, today, days, office_slug=None) -> list[DueSheet]:
    """Sheets not yet submitted in every open phase whose deadline is at most `days` days away.

    In the result phase only sheets with approved goals count: the others cannot report yet.
    """
    horizon = today + timedelta(days=days)
    years = FiscalYear.objects.select_related("office").filter(
        Q(plan_open=True, plan_deadline__lte=horizon) | Q(result_open=True, result_deadline__lte=horizon)
    )
    if office_slug:
        years = years.filter(office__slug=office_slug)
    due = []
    for year in years.order_by("office__slug", "year"):
        for phase, is_open, deadline in (
            (Phase.PLAN, year.plan_open, year.plan_deadline),
            (Phase.RESULT, year.result_open, year.result_deadline),
        ):
            if is_open and deadline is not None and deadline <= horizon:
                pending = {f"{GoalSheet.status_field(phase)}__in": PENDING_STATUSES}
                if phase == Phase.RESULT:
                    pending["plan_status"] = SheetStatus.APPROVED  # results wait for approved goals
                sheets = (
                    GoalSheet.objects.filter(fiscal_year=year, **pending)
                    .select_related("department", "fiscal_year__office")
                    .order_by("department__sort_order", "department__code")
                )
                due += [DueSheet(sheet=sheet, phase=phase, deadline=deadline) for sheet in sheets]
    return due


def due_sheets_by_editor(due: list[DueSheet]) -> dict:
    """{editor: [DueSheet, …]} for the active editors with an e-mail address of each sheet's department."""
    department_ids = {d.sheet.department_id for d in due}
    memberships = (
        Membership.objects.filter(department_id__in=department_ids, role=Role.EDITOR, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )
    editors_of = {}
    for membership in memberships:
        editors_of.setdefault(membership.department_id, []).append(membership.user)
    by_editor = {}
    for item in due:
        for user in editors_of.get(item.sheet.department_id, []):
            by_editor.setdefault(user, []).append(item)
    return by_editor


# --- Editor: the staff home and what a sheet's editor may do next ------------------------------


@dataclass(frozen=True)
class SheetActions:
    """The buttons a person sees on a sheet's page."""

    edit_plan: bool = False
    edit_results: bool = False
    submit_plan: bool = False
    submit_results: bool = False
    workbook: bool = False  # the Excel entry file: the department's editors and 総務課
    review_plan: ReviewActions = ReviewActions()  # 承認 / 差戻し / 承認取消
    review_results: ReviewActions = ReviewActions()

    @property
    def any(self):
        steps = (self.edit_plan, self.edit_results, self.submit_plan, self.submit_results, self.workbook)
        return any(steps) or self.review_plan.any or self.review_results.any


def sheet_actions(sheet, *, by, can_edit: bool, can_review: bool, events=None, goals=None) -> SheetActions:
    """The workflow steps this person may start on the sheet now: those the rule book allows.

    `events` (the sheet's review events, oldest first) and `goals` (with their results) are
    what the page has read already; without them the rules read what they need.
    """
    return SheetActions(
        edit_plan=can_edit and rules.edit_plan_refusal(sheet) is None,
        edit_results=can_edit and rules.edit_results_refusal(sheet) is None,
        submit_plan=can_edit and rules.submit_refusal(sheet, Phase.PLAN, goals=goals) is None,
        submit_results=can_edit and rules.submit_refusal(sheet, Phase.RESULT, goals=goals) is None,
        workbook=(can_edit or can_review) and rules.entry_workbook_refusal(sheet) is None,
        review_plan=review_actions(sheet, Phase.PLAN, by=by, can_review=can_review, events=events),
        review_results=review_actions(sheet, Phase.RESULT, by=by, can_review=can_review, events=events),
    )


@dataclass(frozen=True)
class NextStep:
    """What the home page tells a department to do next, and where (a URL name taking the sheet)."""

    text: str
    view: str = ""  # "" when there is nothing to click
    urgent: bool = False


def next_step(sheet, *, can_edit: bool) -> NextStep:
    """The one next thing to do on the sheet, plan first, then results.

    The wording is the home page's; whether the step can be taken is the rule book's.
    """
    if not can_edit:
        return NextStep("シートを見る", "goals:sheet")
    if sheet.plan_status != SheetStatus.APPROVED:
        return _next_plan_step(sheet)
    return _next_result_step(sheet)


def _next_plan_step(sheet):
    status = sheet.plan_status
    if status == SheetStatus.SUBMITTED:
        return NextStep("承認待ちです")
    if refusal := rules.edit_plan_refusal(sheet):
        return NextStep(f"{refusal}総務課にお問い合わせください。")
    if status == SheetStatus.RETURNED:
        return NextStep("差戻しの内容を確認して再提出する", "goals:sheet", urgent=True)
    if status == SheetStatus.DRAFT:
        return NextStep("目標の入力を続けて提出する", "goals:plan_edit")
    return NextStep("目標を入力する", "goals:plan_edit", urgent=True)


def _next_result_step(sheet):
    status = sheet.result_status
    if status == SheetStatus.APPROVED:
        return NextStep("目標・実績とも承認されました")
    if status == SheetStatus.SUBMITTED:
        return NextStep("承認待ちです")
    if refusal := rules.edit_results_refusal(sheet):
        if status == SheetStatus.NOT_STARTED:
            return NextStep("目標は承認されました。実績報告の受付開始をお待ちください。")
        return NextStep(f"{refusal}総務課にお問い合わせください。")
    if status == SheetStatus.RETURNED:
        return NextStep("差戻しの内容を確認して再提出する", "goals:sheet", urgent=True)
    if status == SheetStatus.DRAFT:
        return NextStep("実績の入力を続けて提出する", "goals:results_edit")
    return NextStep("実績を入力する", "goals:results_edit", urgent=True)


@dataclass(frozen=True)
class PhaseInfo:
    """One phase of a year as the home page shows it."""

    phase: str
    is_open: bool
    deadline: date | None
    days_left: int | None  # None without a deadline; negative once it has passed

    @property
    def label(self):
        return Phase(self.phase).label


def fiscal_year_phases(fiscal_year, *, today) -> list[PhaseInfo]:
    """目標設定 and 実績報告 of the year, with the days left to each deadline."""
    phases = []
    for phase, deadline in ((Phase.PLAN, fiscal_year.plan_deadline), (Phase.RESULT, fiscal_year.result_deadline)):
        days_left = (deadline - today).days if deadline else None
        phases.append(PhaseInfo(phase, fiscal_year.is_open(phase), deadline, days_left))
    return phases


def current_fiscal_years(offices) -> dict:
    """Each office's current year (the newest with a phase open, else the newest), by office id."""
    current = {}
    years = FiscalYear.objects.filter(office__in=offices).select_related("office").order_by("-year")
    for fiscal_year in years:
        best = current.get(fiscal_year.office_id)
        is_open = fiscal_year.plan_open or fiscal_year.result_open
        if best is None or (is_open and not (best.plan_open or best.result_open)):
            current[fiscal_year.office_id] = fiscal_year
    return current


def home_sheets(*, fiscal_years, departments):
    """The departments' sheets of those years, each with `sent_back`: its 差戻し/承認取消 events, newest first."""
    sent_back = (
        ReviewEvent.objects.filter(action__in=RETURN_ACTIONS)
        .select_related("actor")
        .defer("snapshot")  # only the comment is shown; the content can be large
        .order_by("-created_at", "-pk")
    )
    return (
        GoalSheet.objects.filter(fiscal_year__in=fiscal_years, department__in=departments)
        .select_related("department", "fiscal_year__office")
        .prefetch_related(Prefetch("events", queryset=sent_back, to_attr="sent_back"))
        .order_by("fiscal_year__office__municipality_code", "department__sort_order", "department__code")
    )


def latest_return(sheet, events):
    """The 差戻し (or 承認取消) among the sheet's events that sent its current phase back, or None."""
    returns = sorted((e for e in events if e.action in RETURN_ACTIONS), key=lambda e: (e.created_at, e.pk))
    for phase in (Phase.RESULT, Phase.PLAN):
        if sheet.status_for(phase) == SheetStatus.RETURNED:
            return next((event for event in reversed(returns) if event.phase == phase), None)
    return None


def recent_events(*, departments, limit=10):
    """The newest workflow steps on the departments' sheets, with who and which sheet (saves of the
    content are on each sheet's own timeline)."""
    return (
        ReviewEvent.objects.filter(sheet__department__in=departments)
        .exclude(action=EventAction.SAVE)
        .select_related("actor", "sheet__department", "sheet__fiscal_year__office")
        .defer("snapshot")
        .order_by("-created_at", "-pk")[:limit]
    )


def sheet_events(sheet):
    """Every workflow step and save of the sheet, oldest first, with who took it and how."""
    return list(sheet.events.select_related("actor").defer("snapshot").order_by("created_at", "pk"))


def sheet_last_event(sheet):
    """The newest step or save of the sheet (who, when, what), without the stored content; or None."""
    return sheet.events.select_related("actor").defer("snapshot").order_by("-created_at", "-pk").first()


def sheet_last_saved(sheet):
    """(who, when) of the newest saved version of the sheet, from its field history; (None, None) if none."""
    record = sheet.history.select_related("history_user").order_by("-history_date", "-history_id").first()
    return (record.history_user, record.history_date) if record else (None, None)


def sheet_shows_results(sheet) -> bool:
    """Whether the sheet's page has the result column: once results are being written or may be."""
    return sheet.result_status != SheetStatus.NOT_STARTED or sheet.fiscal_year.result_open
