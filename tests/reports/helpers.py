"""Small builders shared by the exporter tests: synthetic years of any size, hostile text."""

from django.db import connection

from goals.models import Category, Goal, GoalSheet, Result, SheetStatus
from tests.factories import DepartmentFactory, FiscalYearFactory, OfficeFactory

HOSTILE_TEXTS = (
    "<script>alert(1)</script>",
    "&amp; \"quotes\" 'apos' <b>bold</b>",
    "長" * 1000,
    "制御\x0b文字\x00入り\x1f",
    "=1+1",
    "+81 44 744 3113",
    "-3",
    "@SUM(A1)",
    "\tタブで始まる",
    "\r改行で始まる",
    "絵文字😀と𠮷野家の髙橋さん",
)


def approved_year(*, departments, goals_per_department=3, texts=None, office=None, year=2021):
    """A fiscal year whose every sheet is approved for plan and result, with varied text."""
    office = office or OfficeFactory()
    fiscal_year = FiscalYearFactory(office=office, year=year)
    tags = [Category.objects.get_or_create(office=office, name=name)[0] for name in ("共通", "電話", "対面対応")]
    texts = list(texts or ["来庁者に分かりやすい案内を行います。"])
    if connection.vendor == "postgresql":  # PostgreSQL text cannot hold NUL at all
        texts = [t.replace("\x00", "") for t in texts]
    n = 0
    for d in range(departments):
        department = DepartmentFactory(office=office, sort_order=d * 10)
        sheet = GoalSheet.objects.create(
            department=department, fiscal_year=fiscal_year,
            plan_status=SheetStatus.APPROVED, result_status=SheetStatus.APPROVED,
        )
        for number in range(1, goals_per_department + 1):
            text = texts[n % len(texts)]
            n += 1
            goal = Goal.objects.create(sheet=sheet, number=number, objective="仮")
            goal.categories.set(tags[: number % 3 + 1])
            result = Result.objects.create(goal=goal)
            # Past the model layer: the texts may be ones it refuses (controls, past a limit), as
            # in data stored before the text policy held, which every format must still print.
            stored_in_sql(goal, objective=text, actions=f"具体的には、{text}")
            stored_in_sql(result, done=text, achievement=f"達成度: {text}")
    return fiscal_year


def stored_in_sql(instance, **values):
    """Write the values with an SQL UPDATE, past the model fields' checks (wardservice.fields)."""
    model = type(instance)
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s",
            [*values.values(), instance.pk],
        )
