"""Writing a checked データ table: the year, its new departments and every sheet, in bulk.

reports.imports.table reads and checks the file; what it hands over here has no known problem,
so this only writes, in one transaction: the year (and its policy) when new, the departments
the file brings (bulk_create), their sheets (goals.services.sheets_get_or_create) and every
sheet's content (goals.services.sheets_write_imported), or only its results where its goals are
approved (goals.services.sheet_write_imported_results). What the database or a model's
validators still refuse comes back as TableWriteError with the row to name.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from departments.models import Department
from goals.services import (
    GoalsError,
    ResultInput,
    SheetImport,
    SheetImportError,
    fiscal_year_add_policy,
    fiscal_year_get_or_create,
    new_departments_active,
    sheet_write_imported_results,
    sheets_get_or_create,
    sheets_write_imported,
)


class TableWriteError(Exception):
    """What a checked table still cannot be stored as; `row` is the department's first row."""

    def __init__(self, row, message):
        super().__init__(message)
        self.row = row


@transaction.atomic
def write_table(*, office, year, departments, policy, max_goals=None, by=None, comment="", progress=None):
    """Store the checked departments (reports.imports.table._Department) as the year's sheets.

    Departments the office does not have yet are created at the end of its list; active unless
    the office has a later year already (goals.services.new_departments_active). A year created
    here gets `max_goals` (else the usual limit). `progress(done, total)` is called as batches of
    sheets are written.
    """
    active = new_departments_active(office=office, year=year)
    fiscal_year, created = fiscal_year_get_or_create(
        office=office, year=year, principles=policy, max_goals=max_goals
    )
    if policy and not created:
        fiscal_year_add_policy(fiscal_year=fiscal_year, principles=policy)
    records = _departments(office, departments, active=active)
    sheets = sheets_get_or_create(fiscal_year=fiscal_year, departments=records, by=by)
    pairs = list(zip(departments, records, strict=True))
    first_rows = {sheets[record.pk].pk: d.first_row for d, record in pairs}
    imports = [
        SheetImport(sheet=sheets[record.pk], data=d.data(), has_results=d.has_results)
        for d, record in pairs
        if not d.results_only
    ]
    try:
        sheets_write_imported(
            fiscal_year=fiscal_year, imports=imports, by=by, comment=comment, progress=progress
        )
    except SheetImportError as error:
        raise TableWriteError(first_rows[error.sheet.pk], str(error)) from error
    _write_results(fiscal_year, [(d, sheets[record.pk]) for d, record in pairs if d.results_only], by, comment)
    return fiscal_year


def _write_results(fiscal_year, departments, by, comment):
    """The results of sheets whose goals are approved (the file's goals being those), each saved
    and submitted on its department's behalf (goals.services.sheet_write_imported_results)."""
    ratings = {level.label: level for level in fiscal_year.rating_levels.all()}
    for department, sheet in departments:
        results = [
            ResultInput(
                number=goal.number,
                done=goal.result.done,
                achievement=goal.result.achievement,
                rating=ratings.get(goal.result.rating) if goal.result.rating else None,
                omitted_reason=goal.result.omitted_reason,
            )
            for goal in department.data().goals
            if goal.result is not None
        ]
        try:
            sheet_write_imported_results(sheet=sheet, results=results, by=by, comment=comment)
        except GoalsError as error:
            raise TableWriteError(department.first_row, f"{sheet.department} の実績は取り込めません。{error}") from error


def _departments(office, departments, *, active) -> list:
    """The Department of each department of the file, in its order; the new ones created."""
    last = Department.objects.filter(office=office).aggregate(last=Max("sort_order"))["last"] or 0
    records, new = [], []
    for department in departments:
        record = department.existing
        if record is None:
            last += 10
            record = Department(
                office=office,
                code=department.code,
                name=department.name,
                sort_order=last,
                is_active=active,
            )
            try:
                # Codes and names were checked against the office's and each other's already.
                record.full_clean(
                    exclude=["office"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                raise TableWriteError(department.first_row, " ".join(error.messages)) from error
            new.append(record)
        records.append(record)
    Department.objects.bulk_create(new)
    return records
