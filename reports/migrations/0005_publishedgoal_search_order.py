# The public search's order on the published rows themselves, so that an index can hold it.
#
# The search lists hits newest year first, then by office (全国地方公共団体コード, 区役所名), each
# table in its own order. Those keys lived on the joined fiscal year and office, so PostgreSQL had
# to find and sort every hit before showing the first page: seconds for a common word with every
# municipality's years. Copied onto each row from its frozen table, they make one index,
# publishedgoal_search_order, that the planner can walk, stopping once a page of hits is found.
#
# On PostgreSQL the index also carries `categories` and `id` (INCLUDE, not part of the order), so
# that counting the hits of the 年度 and 区分 filters reads the index alone. SQLite cannot carry
# such columns and gets the plain index. The index is made here rather than in PublishedGoal.Meta,
# where Django would warn on SQLite that it cannot build it as declared.

from django.db import migrations, models
from django.db.models.fields.json import KT

SEARCH_ORDER_INDEX = models.Index(
    fields=["-year", "municipality_code", "office_name", "publication", "position"],
    include=["categories", "id"],  # PostgreSQL only: Django leaves them out on SQLite
    name="publishedgoal_search_order",
)


def copy_table_order(apps, schema_editor):
    """Each row takes the year, code and name of its publication's frozen table."""
    Publication = apps.get_model("reports", "Publication")
    PublishedGoal = apps.get_model("reports", "PublishedGoal")
    keys = Publication.objects.values_list(
        "pk", KT("table__year"), KT("table__municipality_code"), KT("table__office_name")
    )
    for pk, year, code, name in keys.iterator(chunk_size=500):
        PublishedGoal.objects.filter(publication_id=pk).update(
            year=int(year), municipality_code=code, office_name=name
        )


def add_search_order_index(apps, schema_editor):
    schema_editor.add_index(apps.get_model("reports", "PublishedGoal"), SEARCH_ORDER_INDEX)


def remove_search_order_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("reports", "PublishedGoal"), SEARCH_ORDER_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="publishedgoal",
            name="year",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="年度 (西暦)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="publishedgoal",
            name="municipality_code",
            field=models.CharField(default="", max_length=6, verbose_name="全国地方公共団体コード"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="publishedgoal",
            name="office_name",
            field=models.CharField(default="", max_length=100, verbose_name="区役所名"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_table_order, migrations.RunPython.noop),
        migrations.RunPython(add_search_order_index, remove_search_order_index),
    ]
