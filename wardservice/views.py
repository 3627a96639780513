"""The health check for monitoring: statuses only, no login (wardservice.health)."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from wardservice.health import OK, health


@never_cache
@require_safe
def healthz(request):
    """200 with every check's status when healthy, 503 when a check fails."""
    answer = health()
    return JsonResponse(
        answer, status=200 if answer["status"] == OK else 503, json_dumps_params={"ensure_ascii": False}
    )
