"""Background tasks (django-tasks): the database backend and `manage.py db_worker` in production,
run at once by the ImmediateBackend in development and tests."""

from django_tasks import task

from reports.services import publication_render


@task()
def render_publication(publication_id: int) -> None:
    """Render, store and publish one queued version of a year's table (see reports.services)."""
    publication_render(publication_id)
