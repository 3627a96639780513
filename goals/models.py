"""Fiscal years, goal sheets, goals, results and the workflow's event log."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from departments.models import Department, Office
from goals.wareki import fiscal_year_full_label, fiscal_year_label
from wardservice.fields import LineField, PlainTextField

# Limits that keep a goal row on one printed A4 landscape page (the seed's longest field is ~220).
MAX_OBJECTIVE = 400
MAX_ACTIONS = 600
MAX_DONE = 800
MAX_ACHIEVEMENT = 400
MAX_OMITTED_REASON = 200


class Category(models.Model):
    """A 区分 tag such as 共通, 対面対応 or 電話; each office keeps its own list."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="categories", verbose_name="区役所"
    )
    name = LineField("区分名", max_length=30)
    sort_order = models.PositiveIntegerField("表示順", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "区分"
        ordering = ["office", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="category_unique_name"),
            models.CheckConstraint(condition=~models.Q(name=""), name="category_name_not_empty"),
        ]
        # The public search and statistics order tags by name across every office.
        indexes = [models.Index(fields=["name", "sort_order"], name="category_name_order")]

    def __str__(self):
        return self.name


# The western years a fiscal year may have (平成元年 onwards); the database holds it too.
FIRST_YEAR, LAST_YEAR = 1989, 2200

# The goals a sheet may have (FiscalYear.max_goals): a whole department's year printed on a few
# A4 pages, and the most any ward is known to set (others set 5 or 8); the database holds it too.
MAX_GOALS_PER_SHEET = 10


class FiscalYear(models.Model):
    """An office's 年度: its service policy, the two phases, the tags and the optional rating scale."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="fiscal_years", verbose_name="区役所"
    )
    year = models.PositiveSmallIntegerField("年度 (西暦)", help_text="例: 2020 (令和2年度)")
    plan_open = models.BooleanField("目標設定 受付中", default=False)
    plan_deadline = models.DateField("目標設定 締切", null=True, blank=True)
    result_open = models.BooleanField("実績報告 受付中", default=False)
    result_deadline = models.DateField("実績報告 締切", null=True, blank=True)
    max_goals = models.PositiveSmallIntegerField(
        "1シートあたりの目標数の上限",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_GOALS_PER_SHEET)],
        help_text=f"1から{MAX_GOALS_PER_SHEET}まで。年度の管理ページで変更します。",
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="fiscal_years", verbose_name="使用する区分"
    )

    class Meta:
        verbose_name = verbose_name_plural = "年度"
        ordering = ["office", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="fiscalyear_unique_office_year"),
            models.CheckConstraint(
                condition=models.Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR), name="fiscalyear_year_range"
            ),
            models.CheckConstraint(
                condition=models.Q(max_goals__gte=1, max_goals__lte=MAX_GOALS_PER_SHEET),
                name="fiscalyear_max_goals_range",
            ),
        ]

    def __str__(self):
        return f"{self.office} {self.label}"

    @property
    def label(self):
        """令和2年度"""
        return fiscal_year_label(self.year)

    @property
    def full_label(self):
        """令和2年度 (2020年度)"""
        return fiscal_year_full_label(self.year)

    def is_open(self, phase) -> bool:
        """Whether 目標設定 or 実績報告 is taking entries."""
        return self.plan_open if Phase(phase) == Phase.PLAN else self.result_open


class PolicyPrinciple(models.Model):
    """One numbered principle (①–④) of the year's 区役所サービス向上方針."""

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.CASCADE, related_name="principles", verbose_name="年度"
    )
    number = models.PositiveSmallIntegerField("番号")
    text = PlainTextField("内容", max_length=500)

    class Meta:
        verbose_name = verbose_name_plural = "区役所サービス向上方針"
        ordering = ["fiscal_year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "number"], name="principle_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="principle_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.text[:30]}"


class RatingLevel(models.Model):
    """A step of the year's optional achievement scale (達成 / 概ね達成 / 未達成)."""

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.CASCADE, related_name="rating_levels", verbose_name="年度"
    )
    order = models.PositiveSmallIntegerField("順序")
    label = LineField("評価", max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = "達成度評価"
        ordering = ["fiscal_year", "order"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "order"], name="rating_unique_order"),
            models.UniqueConstraint(fields=["fiscal_year", "label"], name="rating_unique_label"),
        ]

    def __str__(self):
        return self.label


class SheetStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未着手"
    DRAFT = "draft", "下書き"
    SUBMITTED = "submitted", "提出済"
    RETURNED = "returned", "差戻し"
    APPROVED = "approved", "承認済"


class Phase(models.TextChoices):
    PLAN = "plan", "目標設定"
    RESULT = "result", "実績報告"


class GoalSheet(models.Model):
    """A department's sheet for one year: the unit that is submitted, approved and published."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="sheets", verbose_name="部署"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="sheets", verbose_name="年度"
    )
    plan_status = models.CharField(
        "目標の状態", max_length=20, choices=SheetStatus.choices, default=SheetStatus.NOT_STARTED
    )
    result_status = models.CharField(
        "実績の状態", max_length=20, choices=SheetStatus.choices, default=SheetStatus.NOT_STARTED
    )
    version = models.PositiveIntegerField("版", default=1, help_text="同時編集の検出に使います")
    # 訂正: the one phase of this sheet that takes entries while the ward's phase is closed (a
    # 差戻し or 承認取消 taken then opens it; its approval closes it). goals.rules reads it.
    correction = models.CharField(
        "訂正受付中",
        max_length=10,
        choices=Phase.choices,
        blank=True,
        help_text="区役所全体の受付が終わった後に、このシートだけ訂正のために開いている段階",
    )
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], history_change_reason_field=PlainTextField(null=True))

    class Meta:
        verbose_name = verbose_name_plural = "目標シート"
        ordering = ["fiscal_year", "department__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "fiscal_year"], name="goalsheet_unique_department_year"
            ),
            models.CheckConstraint(
                condition=models.Q(plan_status__in=SheetStatus.values)
                & models.Q(result_status__in=SheetStatus.values),
                name="goalsheet_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(result_status=SheetStatus.NOT_STARTED)
                | models.Q(plan_status=SheetStatus.APPROVED),
                name="goalsheet_results_need_approved_plan",
            ),
            models.CheckConstraint(
                condition=models.Q(correction="") | models.Q(correction__in=Phase.values),
                name="goalsheet_correction_valid",
            ),
        ]

    def __str__(self):
        return f"{self.department} {self.fiscal_year.label}"

    @staticmethod
    def status_field(phase) -> str:
        """The field holding a sheet's status for 目標設定 or 実績報告 (a Phase or its value),
        for updates and queryset filters. The one place that maps a phase to its status."""
        return "plan_status" if Phase(phase) == Phase.PLAN else "result_status"

    def status_for(self, phase) -> str:
        """The sheet's status (a SheetStatus value) for 目標設定 or 実績報告."""
        return getattr(self, self.status_field(phase))


class GoalCategory(models.Model):
    """A goal's tag and its place among the goal's tags, as the goal prints them."""

    goal = models.ForeignKey(
        "Goal", on_delete=models.CASCADE, related_name="category_links", verbose_name="目標"
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="goal_links", verbose_name="区分"
    )
    position = models.PositiveSmallIntegerField("順番", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "目標の区分"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "category"], name="goalcategory_unique_tag"),
        ]

    def __str__(self):
        return f"{self.goal} {self.category}"


class Goal(models.Model):
    """One numbered goal: its 区分 tags, 目標 and optional 具体的な取組内容. Plain text, never HTML."""

    sheet = models.ForeignKey(GoalSheet, on_delete=models.CASCADE, related_name="goals", verbose_name="目標シート")
    number = models.PositiveSmallIntegerField("目標番号")
    # In the goal's own order ("電話・対面対応" is not "対面対応・電話"): read them with
    # ordered_categories(), write them with goals.services.goal_set_categories().
    categories = models.ManyToManyField(
        Category, through=GoalCategory, blank=True, related_name="goals", verbose_name="区分"
    )
    objective = PlainTextField("目標", max_length=MAX_OBJECTIVE)
    actions = PlainTextField("具体的な取組内容", max_length=MAX_ACTIONS, blank=True)
    history = HistoricalRecords(m2m_fields=[categories], history_change_reason_field=PlainTextField(null=True))

    class Meta:
        verbose_name = verbose_name_plural = "目標"
        ordering = ["sheet", "number"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="goal_unique_number_per_sheet"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="goal_number_positive"),
            models.CheckConstraint(condition=~models.Q(objective=""), name="goal_objective_not_empty"),
        ]

    def __str__(self):
        return f"{self.sheet} 目標{self.number}"

    def ordered_categories(self) -> list[Category]:
        """The goal's tags in its own order: one query, none where goals.selectors.goal_tags() prefetched them."""
        return [link.category for link in self.category_links.all()]


class Result(models.Model):
    """What was done for a goal and how far it got — or the printed reason it was omitted."""

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="result", verbose_name="目標")
    done = PlainTextField("実施結果", max_length=MAX_DONE, blank=True)
    achievement = PlainTextField("目標の達成度", max_length=MAX_ACHIEVEMENT, blank=True)
    rating = models.ForeignKey(
        RatingLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="results", verbose_name="達成度評価"
    )
    is_omitted = models.BooleanField("省略", default=False)
    omitted_reason = PlainTextField("省略の理由 (公表表に記載)", max_length=MAX_OMITTED_REASON, blank=True)
    history = HistoricalRecords(history_change_reason_field=PlainTextField(null=True))

    class Meta:
        verbose_name = verbose_name_plural = "実績"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_omitted=False) | ~models.Q(omitted_reason=""),
                name="result_omission_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.goal} の実績"


class EventAction(models.TextChoices):
    SUBMIT = "submit", "提出"
    APPROVE = "approve", "承認"
    RETURN = "return", "差戻し"
    REOPEN = "reopen", "承認取消"
    IMPORT = "import", "取込"
    SAVE = "save", "保存"  # a change of the content, by whom and through which channel


class EventChannel(models.TextChoices):
    """How a change of the content (or a 提出 made with it) reached the sheet."""

    FORM = "form", "フォーム"
    WORKBOOK = "workbook", "Excel"
    IMPORT = "import", "取込"


class ReviewEvent(models.Model):
    """Append-only record of a workflow step or a save of the content, with the sheet's content as
    it was at that moment and the sheet's version that step left."""

    sheet = models.ForeignKey(GoalSheet, on_delete=models.CASCADE, related_name="events", verbose_name="目標シート")
    phase = models.CharField("段階", max_length=10, choices=Phase.choices)
    action = models.CharField("操作", max_length=10, choices=EventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_events",
        verbose_name="実施者",
    )
    created_at = models.DateTimeField("日時", auto_now_add=True, db_index=True)
    comment = PlainTextField("コメント", blank=True, max_length=2000)
    channel = models.CharField(
        "経路", max_length=10, choices=EventChannel.choices, blank=True, help_text="内容の保存・取込の経路"
    )
    # The version the step left the sheet at: what a page opened at that version showed is this
    # event's snapshot (None on events recorded before versions were kept here).
    sheet_version = models.PositiveIntegerField("版", null=True, blank=True)
    # 代理入力: a 保存 or 提出 by someone who was not an editor of the department at that moment
    # (総務課 writing for it), as the service found their memberships then; never recomputed.
    on_behalf = models.BooleanField("代理入力", default=False)
    snapshot = models.JSONField("その時点の内容", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "審査記録"
        ordering = ["sheet", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(phase__in=Phase.values), name="reviewevent_phase_valid"),
            models.CheckConstraint(condition=models.Q(action__in=EventAction.values), name="reviewevent_action_valid"),
            models.CheckConstraint(
                condition=~models.Q(action=EventAction.RETURN, comment="")
                & ~models.Q(action=EventAction.REOPEN, comment=""),
                name="reviewevent_return_and_reopen_need_comment",
            ),
            models.CheckConstraint(
                condition=models.Q(channel="") | models.Q(channel__in=EventChannel.values),
                name="reviewevent_channel_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(action=EventAction.SAVE, channel=""), name="reviewevent_save_has_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(on_behalf=False) | models.Q(action__in=[EventAction.SAVE, EventAction.SUBMIT]),
                name="reviewevent_on_behalf_only_save_submit",
            ),
        ]

    def __str__(self):
        return f"{self.sheet} {self.get_phase_display()} {self.get_action_display()}"
