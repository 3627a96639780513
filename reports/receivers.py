"""What the reports app does when something happens elsewhere: render an approved sheet's PDF part."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from goals.models import EventAction, ReviewEvent


@receiver(post_save, sender=ReviewEvent, dispatch_uid="reports.render_part_on_approval")
def render_part_on_approval(sender, instance, created, **kwargs):
    """承認: render the department's part of the published PDF now, so that 公表 only assembles."""
    if not created or instance.action != EventAction.APPROVE or not settings.PDF_RENDER_ON_APPROVAL:
        return
    # Imported here: the task module imports the services, which import the models.
    from reports.tasks import render_sheet_part

    sheet_id, phase = instance.sheet_id, instance.phase
    transaction.on_commit(lambda: render_sheet_part.enqueue(sheet_id, phase))
