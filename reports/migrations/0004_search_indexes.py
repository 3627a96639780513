# Indexes for the public search at national scale (every municipality's years).
#
# On PostgreSQL the text search gets a pg_trgm GIN index over the expression the search matches
# (reports.search.selectors.published_text(), upper-cased as icontains compares): a term of three
# or more characters is then found through the index instead of reading every published row.
# pg_trgm makes trigrams of letters and digits only, as the database's LC_CTYPE defines them: the
# cluster must use a UTF-8 locale (C.UTF-8, as scripts/with-postgres sets up), or Japanese text
# gives no trigrams and the index, though harmless, finds nothing by itself. SQLite gets only the
# plain index; there the trigram steps do nothing.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat, Upper
from django.db.models.sql import Query

TRIGRAM_INDEX = "publishedgoal_text_trgm"
# As in reports.search.selectors (PUBLIC_TEXT_FIELDS, FIELD_SEPARATOR) when this index was made;
# tests/reports/test_query_budget.py checks that the search still uses it.
TEXT_FIELDS = (
    "objective",
    "actions",
    "done",
    "achievement",
    "omitted_reason",
    "categories",
    "department_name",
)


def _searched_text():
    parts = []
    for field in TEXT_FIELDS:
        parts += [F(field), Value("\n")]
    return Upper(Concat(*parts[:-1], output_field=TextField()))


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("reports", "PublishedGoal")
    # Compiled by Django exactly as the search's own expression is, so that the planner sees
    # the same expression in both. (GinIndex(OpClass(…)) would need django.contrib.postgres in
    # INSTALLED_APPS to place the operator class outside the expression's parentheses.)
    query = Query(model, alias_cols=False)
    compiler = query.get_compiler(connection=schema_editor.connection)
    sql, params = _searched_text().resolve_expression(query).as_sql(compiler, schema_editor.connection)
    expression = sql % tuple(schema_editor.quote_value(p) for p in params)
    schema_editor.execute(
        f"CREATE INDEX {schema_editor.quote_name(TRIGRAM_INDEX)} "
        f"ON {schema_editor.quote_name(model._meta.db_table)} USING gin (({expression}) gin_trgm_ops)"
    )


def remove_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(TRIGRAM_INDEX)}")


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0003_pendingupload'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='publishedgoal',
            index=models.Index(fields=['categories'], name='publishedgoal_categories'),
        ),
        migrations.AddIndex(
            model_name='publishedgoal',
            index=models.Index(fields=['publication', 'categories'], name='publishedgoal_publication_tags'),
        ),
        TrigramExtension(),  # nothing on SQLite
        migrations.RunPython(add_trigram_index, remove_trigram_index),
    ]
