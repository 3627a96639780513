"""The health check for monitoring: statuses only, no login (wardservice.health); /favicon.ico."""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
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


@require_safe
def favicon(request):
    """/favicon.ico, which browsers (and the admin's pages, which link no icon) ask for by name.

    A redirect to the static file, looked up at request time: the manifest of hashed names
    exists only once collectstatic has run.
    """
    return HttpResponsePermanentRedirect(static("favicon.ico"))
