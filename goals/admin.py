from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from goals.models import (
    Category,
    FiscalYear,
    Goal,
    GoalCategory,
    GoalSheet,
    PolicyPrinciple,
    RatingLevel,
    Result,
    ReviewEvent,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "sort_order"]
    list_filter = ["office"]
    list_editable = ["sort_order"]
    search_fields = ["name"]


class PolicyPrincipleInline(admin.TabularInline):
    model = PolicyPrinciple
    extra = 0


class RatingLevelInline(admin.TabularInline):
    model = RatingLevel
    extra = 0


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plan_open", "plan_deadline", "result_open", "result_deadline", "max_goals"]
    list_filter = ["office", "plan_open", "result_open"]
    filter_horizontal = ["categories"]
    inlines = [PolicyPrincipleInline, RatingLevelInline]

    def get_readonly_fields(self, request, obj=None):
        # A year's limit changes on the years page, where a limit below a sheet's goals is refused.
        return ["max_goals"] if obj is not None else []


class GoalInline(admin.StackedInline):
    model = Goal
    extra = 0
    show_change_link = True  # the tags are edited on the goal's own page, in their order


@admin.register(GoalSheet)
class GoalSheetAdmin(SimpleHistoryAdmin):
    list_display = ["department", "fiscal_year", "plan_status", "result_status", "correction", "version", "updated_at"]
    list_filter = ["fiscal_year__office", "fiscal_year__year", "plan_status", "result_status"]
    search_fields = ["department__name"]
    list_select_related = ["department", "fiscal_year__office"]
    readonly_fields = ["version"]
    inlines = [GoalInline]


class GoalCategoryInline(admin.TabularInline):
    """The goal's tags with their place: the table prints them in this order."""

    model = GoalCategory
    extra = 0
    fields = ["position", "category"]


class ResultInline(admin.StackedInline):
    model = Result
    extra = 0


@admin.register(Goal)
class GoalAdmin(SimpleHistoryAdmin):
    list_display = ["sheet", "number", "objective"]
    list_filter = ["sheet__fiscal_year__office", "sheet__fiscal_year__year", "categories"]
    search_fields = ["objective", "actions", "sheet__department__name"]
    list_select_related = ["sheet__department", "sheet__fiscal_year__office"]
    inlines = [GoalCategoryInline, ResultInline]


@admin.register(Result)
class ResultAdmin(SimpleHistoryAdmin):
    list_display = ["goal", "is_omitted", "rating"]
    search_fields = ["done", "achievement", "goal__objective"]
    list_select_related = ["goal__sheet__department", "goal__sheet__fiscal_year__office"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    """Read-only: the event log is append-only and written by the workflow services."""

    list_display = ["created_at", "sheet", "phase", "action", "channel", "actor", "on_behalf", "sheet_version"]
    list_filter = ["phase", "action", "channel", "on_behalf", "sheet__fiscal_year__office"]
    search_fields = ["sheet__department__name", "comment"]
    list_select_related = ["sheet__department", "sheet__fiscal_year__office", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
