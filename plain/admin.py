from django.contrib import admin

from plain.models import GlossaryTerm


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "plain", "office", "updated_at"]
    list_filter = ["office"]
    search_fields = ["term", "plain"]
    readonly_fields = ["updated_at", "updated_by"]
