from django.contrib import admin

from wardservice.models import OutgoingMail, WorkerHeartbeat


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The outbox, read only: 総務課 send a message again from their page (送信できなかった通知)."""

    list_display = ["created_at", "office", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "office"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["queue", "worker", "beat_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
