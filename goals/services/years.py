"""Fiscal years: opening the first one and the next one from the last, and its phases."""

from django.db import transaction

from departments.models import Department, Office
from goals import rules, selectors
from goals.models import Category, FiscalYear, Goal, GoalSheet, Phase, RatingLevel, SheetStatus
from goals.services.content import fiscal_year_get_or_create, goal_set_categories
from goals.services.errors import GoalsError, refuse
from goals.validators import strip_control_characters
from goals.wareki import fiscal_year_full_label


@transaction.atomic
def fiscal_year_open_next(*, previous: FiscalYear, copy_goals_for=(), plan_deadline=None, by=None):
    """Open year N+1 from year N: policy, tags, scale and limits copied, one sheet per active department.

    Departments listed in copy_goals_for start from last year's goals as a draft, without results.
    """
    office = previous.office
    if FiscalYear.objects.filter(office=office, year=previous.year + 1).exists():
        raise GoalsError(f"{office}の{fiscal_year_full_label(previous.year + 1)}は既にあります。")
    # Copied as the table prints them: text stored before the text policy held loses what it refuses.
    principles = [
        strip_control_characters(text)
        for text in previous.principles.order_by("number").values_list("text", flat=True)
    ]
    fiscal_year, _ = fiscal_year_get_or_create(
        office=office, year=previous.year + 1, principles=principles, max_goals=previous.max_goals
    )
    fiscal_year.plan_open = True
    fiscal_year.plan_deadline = plan_deadline
    fiscal_year.save(update_fields=["plan_open", "plan_deadline"])
    fiscal_year.categories.set(previous.categories.all())
    RatingLevel.objects.bulk_create(
        RatingLevel(fiscal_year=fiscal_year, order=level.order, label=level.label)
        for level in previous.rating_levels.all()
    )
    copy_ids = {d.pk for d in copy_goals_for}
    for department in Department.objects.filter(office=office, is_active=True, writes_goals=True):
        sheet = GoalSheet.objects.create(department=department, fiscal_year=fiscal_year)
        if department.pk in copy_ids:
            _sheet_copy_goals(sheet=sheet, source_year=previous)
    return fiscal_year


@transaction.atomic
def fiscal_year_open_first(
    *, office, year: int, principles=(), rating_labels=(), max_goals=None, plan_deadline=None, by=None
):
    """Open an office's first fiscal year, which has no year before it to copy from.

    The year gets the 区役所サービス向上方針 and the rating scale given here (either may be empty:
    a table without a policy prints none, and the rating is optional everywhere), every 区分 of
    the office, and a sheet for each active department that writes goals; 目標設定 opens.
    Refused (goals.rules.first_year_refusal) once the office has a year: the next is opened from it.
    """
    # The office's row is locked so that two first years cannot be opened side by side.
    office = Office.objects.select_for_update().get(pk=office.pk)
    departments = list(Department.objects.filter(office=office, is_active=True, writes_goals=True))
    has_year = FiscalYear.objects.filter(office=office).exists()
    refuse(rules.first_year_refusal(has_year=has_year, departments=len(departments)))
    if max_goals is None:
        max_goals = FiscalYear._meta.get_field("max_goals").default
    fiscal_year, _ = fiscal_year_get_or_create(office=office, year=year, principles=principles, max_goals=max_goals)
    fiscal_year.plan_open = True
    fiscal_year.plan_deadline = plan_deadline
    fiscal_year.save(update_fields=["plan_open", "plan_deadline"])
    fiscal_year.categories.set(Category.objects.filter(office=office))
    levels = [RatingLevel(fiscal_year=fiscal_year, order=order, label=label) for order, label in enumerate(rating_labels, 1)]
    for level in levels:
        level.full_clean(exclude=["fiscal_year"], validate_unique=False, validate_constraints=False)
    RatingLevel.objects.bulk_create(levels)
    for department in departments:
        GoalSheet.objects.create(department=department, fiscal_year=fiscal_year)
    return fiscal_year


def new_departments_active(*, office, year) -> bool:
    """Whether a department first seen in `year`'s table is one of the office's current ones.

    One that appears only in a year older than the office's newest (a past year brought in from
    its table) is no longer there: it is created inactive, so that opening the next year gives
    it no sheet and 公表 never waits for it. Whoever knows better makes it active in the admin.
    """
    return not FiscalYear.objects.filter(office=office, year__gt=year).exists()


def _sheet_copy_goals(*, sheet, source_year):
    source = GoalSheet.objects.filter(department=sheet.department, fiscal_year=source_year).first()
    if source is None:
        return
    for goal in source.goals.prefetch_related("category_links__category").order_by("number"):
        copy = Goal.objects.create(
            sheet=sheet,
            number=goal.number,
            objective=strip_control_characters(goal.objective),
            actions=strip_control_characters(goal.actions),
        )
        if goal_set_categories(copy, goal.ordered_categories()):
            copy.save()  # its history then holds the tags
    sheet.plan_status = SheetStatus.DRAFT
    sheet.save(update_fields=["plan_status", "updated_at"])


@transaction.atomic
def fiscal_year_set_phase(*, fiscal_year, phase, is_open: bool, deadline=None, by=None):
    """Open or close 目標設定 or 実績報告, and set its deadline.

    The result phase opens only once the plan phase is closed: goals are fixed before anyone
    reports against them. Closing a phase leaves the sheets sent back in it (差戻し, 承認取消) open
    for correction until approved (goals.rules.opens_correction): they are still being fixed.
    """
    fiscal_year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
    if not is_open and fiscal_year.is_open(phase):
        for sheet in fiscal_year.sheets.filter(**{GoalSheet.status_field(phase): SheetStatus.RETURNED}):
            sheet.correction = phase
            sheet.save(update_fields=["correction", "updated_at"])
    if phase == Phase.PLAN:
        if is_open and fiscal_year.result_open:
            raise GoalsError("実績報告の受付中は、目標設定を再開できません。")
        fiscal_year.plan_open, fiscal_year.plan_deadline = is_open, deadline
        fiscal_year.save(update_fields=["plan_open", "plan_deadline"])
    else:
        if is_open and fiscal_year.plan_open:
            raise GoalsError("目標設定の受付を終了してから、実績報告を開始してください。")
        fiscal_year.result_open, fiscal_year.result_deadline = is_open, deadline
        fiscal_year.save(update_fields=["result_open", "result_deadline"])
    return fiscal_year


@transaction.atomic
def fiscal_year_set_max_goals(*, fiscal_year, max_goals: int, by=None) -> FiscalYear:
    """Set 目標数の上限, the goals a sheet of the year may have (goals.rules.max_goals_refusal).

    Never below a goal any sheet already has, whatever its status. The year's row is locked, and
    every save of a sheet locks it too (goals.services.editing.lock_sheet reads the sheet with its
    year FOR UPDATE): a save made under the old limit cannot slip in between the check and the change.
    """
    fiscal_year = FiscalYear.objects.select_for_update().select_related("office").get(pk=fiscal_year.pk)
    sheets_over = selectors.sheets_with_goals_past(fiscal_year=fiscal_year, number=max_goals)
    refuse(rules.max_goals_refusal(max_goals, sheets_over=sheets_over))
    if fiscal_year.max_goals != max_goals:
        fiscal_year.max_goals = max_goals
        fiscal_year.save(update_fields=["max_goals"])
    return fiscal_year
