# The public search reads each published row's folded text and, on PostgreSQL, its grams
# (reports.search.index): a GIN index of every character and pair of characters replaces the
# trigram index of migration 0004, which made no trigram of a word of one or two characters (窓口)
# and so read every row where such a word was rare or absent.
#
# Existing rows are indexed here, in batches; on SQLite the grams stay empty (never searched).
# The statistics target of search_grams is raised so that PostgreSQL knows the frequency of the
# common grams well enough to choose between the GIN index (a rare word) and walking
# publishedgoal_search_order (a common one).

import importlib

from django.db import migrations, models

import reports.search.index

GRAMS_INDEX = "publishedgoal_search_grams"
GRAMS_STATISTICS = 1000
BATCH = 2000


def index_published_rows(apps, schema_editor):
    """search_text and search_grams of every row, as reports.search.index.index_row sets them."""
    from reports.search.index import reindex

    reindex(apps.get_model("reports", "PublishedGoal"), schema_editor.connection, batch=BATCH)


def add_grams_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "PublishedGoal")._meta.db_table)
    schema_editor.execute(
        f"CREATE INDEX {schema_editor.quote_name(GRAMS_INDEX)} ON {table} USING gin (search_grams)"
    )
    schema_editor.execute(
        f"ALTER TABLE {table} ALTER COLUMN search_grams SET STATISTICS {GRAMS_STATISTICS}"
    )
    schema_editor.execute(f"ANALYZE {table}")


def remove_grams_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(GRAMS_INDEX)}")


# Migration 0004's trigram index, dropped here and made again if this migration is reversed.
_search_indexes = importlib.import_module("reports.migrations.0004_search_indexes")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="publishedgoal",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="検索用の文字列"),
        ),
        migrations.AddField(
            model_name="publishedgoal",
            name="search_grams",
            field=reports.search.index.GramsField(
                editable=False, null=True, verbose_name="検索用の索引"
            ),
        ),
        migrations.RunPython(index_published_rows, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_grams_index, remove_grams_index),
        migrations.RunPython(
            _search_indexes.remove_trigram_index, _search_indexes.add_trigram_index
        ),
    ]
