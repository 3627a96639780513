"""The seed table (fixtures/seeds/nakahara-2020.txt) as rows that can be written again quickly.

tests/conftest.py imports it once per session with the real importer and writes its rows again
for each test that asks for `seed_year`.
"""

from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from departments.models import Office

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "nakahara-2020.txt"
NAKAHARA = {
    "name": "中原区役所",
    "slug": "nakahara",
    "municipality_name": "川崎市中原区",
    "municipality_code": "141330",
}


class SeedRows:
    """The rows the importer writes for the seed table, to be written again in one go per test.

    Primary keys are moved by OFFSET, clear of the keys a test's own rows get from the sequences;
    foreign keys to the office are pointed at the test's office; timestamps are moved to the
    moment of the restore, as if the table had just been imported.
    """

    OFFSET = 1_000_000

    def __init__(self, rows, taken_at):
        self.rows = rows  # [(model, [field values])] in an order that satisfies the foreign keys
        self.taken_at = taken_at
        self.keys = {model: {row[model._meta.pk.attname] for row in rows} for model, rows in rows}

    @classmethod
    def capture(cls, run_import):
        """Run `run_import(office)` in a transaction that is rolled back; keep what it wrote."""
        everything = [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        ]
        with transaction.atomic():
            office = Office.objects.create(**NAKAHARA)
            before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in everything}
            taken_at = timezone.now()
            run_import(office)
            written = {}
            for model in everything:
                rows = [
                    row
                    for row in model._base_manager.order_by("pk").values(*cls._attnames(model))
                    if row[model._meta.pk.attname] not in before[model]
                ]
                if rows:
                    written[model] = rows
            transaction.set_rollback(True)
        return cls([(model, written[model]) for model in cls._in_key_order(written)], taken_at)

    def restore(self, office):
        """Write the rows again for `office` (the test's 中原区役所)."""
        shift = timezone.now() - self.taken_at
        restored = []
        for model, rows in self.rows:
            model._base_manager.bulk_create(
                [model(**self._moved(model, row, office, shift)) for row in rows]
            )
            restored.append(model)
        # PostgreSQL's sequences do not see explicit keys: move them past the restored rows so
        # that whatever the test creates next sorts after the seed, as it would after an import.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), restored):
                cursor.execute(sql)

    @staticmethod
    def _attnames(model):
        return [field.attname for field in model._meta.concrete_fields]

    @staticmethod
    def _in_key_order(written):
        """The models so that each comes after those its foreign keys point to."""
        ordered, pending = [], list(written)
        while pending:
            for model in pending:
                targets = {
                    field.related_model
                    for field in model._meta.concrete_fields
                    if field.is_relation and field.related_model is not model
                }
                if not targets & (set(pending) - {model}):
                    ordered.append(model)
                    pending.remove(model)
                    break
            else:
                raise RuntimeError(f"circular foreign keys among {pending}")
        return ordered

    def _moved(self, model, row, office, shift):
        instance_type = getattr(model, "instance_type", None)  # a django-simple-history model
        values = {}
        for field in model._meta.concrete_fields:
            value = row[field.attname]
            if value is None:
                pass
            elif field.primary_key:
                value += self.OFFSET
            elif field.is_relation and field.related_model is Office:
                value = office.pk
            elif field.is_relation:
                if value not in self.keys.get(field.related_model, ()):
                    raise RuntimeError(f"the seed's {model.__name__}.{field.name} points outside the seed")
                value += self.OFFSET
            elif instance_type is not None and field.attname == instance_type._meta.pk.attname:
                value += self.OFFSET
            elif isinstance(field, models.DateTimeField) and isinstance(value, datetime):
                value += shift
            values[field.attname] = value
        return values
