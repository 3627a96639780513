from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from departments.models import (
    Department,
    Membership,
    Office,
    StaffChange,
    StaffChangeAssignment,
    StaffProfile,
)


class DepartmentInline(admin.TabularInline):
    model = Department
    fields = ["sort_order", "code", "name", "parent", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "municipality_name", "municipality_code"]
    search_fields = ["name", "slug", "municipality_name", "municipality_code"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "office", "parent", "sort_order", "is_active"]
    list_filter = ["office", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["office", "parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department__office"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "department__name"]
    autocomplete_fields = ["user", "department"]
    list_select_related = ["user", "department"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """The staff record; 総務課 keeps it on the staff pages (/staff/<office>/people/)."""

    list_display = ["employee_number", "user", "office", "left_on"]
    list_filter = ["office"]
    search_fields = ["employee_number", "user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "office"]


class StaffChangeAssignmentInline(admin.TabularInline):
    model = StaffChangeAssignment
    extra = 0
    can_delete = False
    readonly_fields = ["department", "role"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StaffChange)
class StaffChangeAdmin(admin.ModelAdmin):
    """The record of 人事異動, read only: changes are recorded, applied and cancelled on the staff
    pages, so that each one goes through the same checks and leaves the membership history."""

    list_display = ["effective_on", "user", "office", "kind", "source", "applied_at", "cancelled_at"]
    list_filter = ["office", "kind"]
    search_fields = ["user__username", "user__last_name", "source"]
    list_select_related = ["user", "office"]
    inlines = [StaffChangeAssignmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
