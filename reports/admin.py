from django.contrib import admin

from reports.models import ImportJob, PendingUpload, Publication, PublicationFile


class PublicationFileInline(admin.TabularInline):
    model = PublicationFile
    fields = ["format", "file", "size", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    """Read-only: a publication is immutable; a correction is published as a new version."""

    list_display = ["fiscal_year", "kind", "version", "published_at", "published_by"]
    list_filter = ["kind", "fiscal_year__office"]
    list_select_related = ["fiscal_year__office", "published_by"]
    inlines = [PublicationFileInline]


@admin.register(PendingUpload)
class PendingUploadAdmin(ReadOnlyAdmin):
    """Read-only: who has a previewed upload waiting for 確定 (the bytes are not shown).

    Expired ones are deleted on the next upload (reports.imports.uploads.pending_uploads_cleanup).
    """

    list_display = ["created_at", "owner", "flavor", "office", "year", "sheet", "filename", "size"]
    list_filter = ["flavor", "office"]
    list_select_related = ["owner", "office", "sheet__department", "sheet__fiscal_year"]
    fields = [
        "owner",
        "flavor",
        "office",
        "year",
        "sheet",
        "filename",
        "size",
        "sha256",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data", "token")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Read-only: each confirmed データ import, its state and what came of it (not the file)."""

    list_display = ["created_at", "owner", "office", "year", "filename", "status", "progress"]
    list_filter = ["status", "office"]
    list_select_related = ["owner", "office"]
    fields = [
        "owner",
        "office",
        "year",
        "filename",
        "kind",
        "options",
        "status",
        "step",
        "progress",
        "summary",
        "problem_count",
        "problems",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]
