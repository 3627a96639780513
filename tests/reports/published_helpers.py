"""Publications made directly in the shape 公表 leaves them: a PUBLISHED version and its frozen rows.

Search, open data and statistics read only these frozen rows. The rows come from the publishing
service's own `published_goals`; only the rendering of the files is left out.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from reports.models import Publication, PublicationKind, PublicationStatus, PublishedGoal
from reports.publishing.services import published_goals
from reports.table import build_table

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

    `edit(published_goal)` may change a row before it is stored (a later version's correction,
    hostile text); rows of a publication that is not PUBLISHED exist too, as while it is rendering.
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
    rows = list(published_goals(publication, table))
    for row in rows:
        if edit:
            edit(row)
    PublishedGoal.objects.bulk_create(rows)
    return publication
