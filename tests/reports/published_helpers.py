"""Publications made directly in the shape 公表 leaves them: a PUBLISHED version and its frozen rows.

Search, open data and statistics read only these frozen rows, so their tests build them straight
from the year's table (reports.table.build_table), as the publishing service does.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from reports.models import Publication, PublicationKind, PublicationStatus, PublishedGoal
from reports.table import TAG_SEPARATOR, build_table

TOKYO = ZoneInfo("Asia/Tokyo")


def publish(
    fiscal_year,
    *,
    kind=PublicationKind.RESULT,
    version=1,
    status=PublicationStatus.PUBLISHED,
    published_at=None,
    edit=None,
):
    """A publication of the year's approved table with its frozen rows.

    `edit(row_dict)` may change a row before it is stored (a later version's correction, hostile
    text); rows of a publication that is not PUBLISHED exist too, as while it is rendering.
    """
    if published_at is None and status == PublicationStatus.PUBLISHED:
        published_at = datetime(fiscal_year.year + 1, 6, 1, 10, 0, tzinfo=TOKYO)
    table = build_table(fiscal_year, kind)
    publication = Publication.objects.create(
        fiscal_year=fiscal_year,
        kind=kind,
        version=version,
        status=status,
        progress=100 if status == PublicationStatus.PUBLISHED else 50,
        published_at=published_at,
        table=table.to_json(),
    )
    rows = frozen_rows(table)
    for row in rows:
        if edit:
            edit(row)
    # The search's order keys come from the table, as reports.publishing.services.published_goals sets them.
    order = {"year": table.year, "municipality_code": table.municipality_code, "office_name": table.office_name}
    PublishedGoal.objects.bulk_create(
        PublishedGoal(publication=publication, **order, **row) for row in rows
    )
    return publication


def frozen_rows(table):
    """The table's goals as PublishedGoal field values, in table order."""
    rows = []
    for department in table.departments:
        for goal in department.goals:
            result = goal.result
            rows.append(
                {
                    "position": len(rows) + 1,
                    "department_code": department.code,
                    "department_name": department.name,
                    "number": goal.number,
                    "categories": TAG_SEPARATOR.join(goal.categories),
                    "objective": goal.objective,
                    "actions": goal.actions,
                    "done": result.done if result else "",
                    "rating": result.rating if result else "",
                    "achievement": result.achievement if result else "",
                    "omitted_reason": result.omitted_reason if result else "",
                }
            )
    return rows
