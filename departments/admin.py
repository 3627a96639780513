from django.contrib import admin

from departments.models import Department, Membership, Office


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
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department__office"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "department__name"]
    autocomplete_fields = ["user", "department"]
    list_select_related = ["user", "department"]
