"""Background tasks (django-tasks): the database backend and `manage.py db_worker` in production,
run at once by the ImmediateBackend in development and tests."""

from django_tasks import task

from reports.imports.jobs import import_job_run
from reports.publishing.services import publication_render, sheet_part_render, table_parts_render


@task()
def render_publication(publication_id: int) -> None:
    """Render, store and publish one queued version of a year's table (see reports.publishing.services)."""
    publication_render(publication_id)


@task()
def render_sheet_part(sheet_id: int, phase: str) -> None:
    """Render an approved sheet's part of the year's PDF ahead of 公表 (see reports.publishing.services)."""
    sheet_part_render(sheet_id=sheet_id, phase=phase)


@task()
def render_table_parts(fiscal_year_id: int, kind: str) -> None:
    """Render the missing PDF parts of a table before its preview PDF (see reports.publishing.preview)."""
    table_parts_render(fiscal_year_id=fiscal_year_id, kind=kind)


@task()
def run_table_import(job_id: int) -> None:
    """Run one confirmed データ (CSV/Excel) import (see reports.imports.jobs)."""
    import_job_run(job_id)
