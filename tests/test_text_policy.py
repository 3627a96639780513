"""One text policy for every stored text field (DESIGN §2; wardservice.text and wardservice.fields):
NFC, line breaks as LF, no control, bidirectional or zero-width characters, one line where a field
is a name or a code — through the model layer, whatever the path of the write."""

import unicodedata

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from goals.models import Goal, ReviewEvent
from goals.printed import clean_text
from goals.services import fiscal_year_open_next
from reports.models import Publication
from tests.factories import DepartmentFactory, GoalFactory, GoalSheetFactory
from tests.personas import KIKAKU, seed_department
from tests.reports.helpers import stored_in_sql
from wardservice import text as policy
from wardservice.fields import LineField, PlainTextField, SlugField

OUR_APPS = ("departments", "goals", "reports", "wardservice")
POLICY_FIELDS = (LineField, PlainTextField, SlugField)

# Characters the policy refuses everywhere: the (0x01 and 0x1b on the public page, U+202E
# in the PDF), the rest of the bidirectional and zero-width ones, and what XML cannot hold.
REFUSED = [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f",
    "\u00ad", "\u061c", "\u180e", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2060", "\u2066", "\u2067", "\u2068",
    "\u2069", "\u2028", "\u2029", "\ufeff", "\ufff9", "\ufdd0", "\ufffe", "\uffff",
    "\U0001fffe", "\U000e0001", "\U000e0041",
]
# Variation selectors choose a kanji's printed form (葛󠄀 and 葛): they stay.
VARIANTS = ["葛\U000e0100", "辻\U000e0101", "邉\U000e0103", "♥\ufe0f", "𠮷野家"]


def text_fields():
    """Every CharField and TextField (SlugField, LineField … included) of our apps' models, the
    field history's models too (Django's own and other libraries' models are theirs)."""
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField):
                    yield pytest.param(field, id=f"{model._meta.label}.{field.name}")


TEXT_FIELDS = list(text_fields())


def test_the_fields_are_found():
    names = {param.id for param in TEXT_FIELDS}
    for name in (
        "departments.Department.name",
        "departments.Office.slug",
        "goals.Goal.objective",
        "goals.HistoricalGoal.objective",
        "goals.ReviewEvent.comment",
        "reports.Publication.note",
        "reports.PublishedGoal.department_name",
    ):
        assert name in names


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_every_text_field_holds_the_policy_or_a_fixed_choice(field):
    assert isinstance(field, POLICY_FIELDS) or field.choices, (
        f"{field.model._meta.label}.{field.name}: use wardservice.fields.LineField or PlainTextField"
    )


def _one_line(field):
    return isinstance(field, LineField | SlugField)


hostile = st.tuples(st.text(max_size=12), st.sampled_from(REFUSED), st.text(max_size=12)).map("".join)


@pytest.mark.parametrize("field", TEXT_FIELDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
def test_a_hostile_value_is_refused_by_every_field(field, value):
    # full_clean() runs this for each field.
    with pytest.raises(ValidationError):
        field.clean(value, None)
    # Every write (save, bulk_create, update, bulk_update) prepares its values so.
    if isinstance(field, POLICY_FIELDS):
        with pytest.raises(ValidationError):
            field.get_db_prep_save(value, connection)


@pytest.mark.parametrize("field", [p for p in TEXT_FIELDS if isinstance(p.values[0], POLICY_FIELDS)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=30))
@example(value="か\u3099\r\nき\rく")
@example(value="区民\u202e課gnp.exe")
@example(value="葛\U000e0100飾区")
def test_any_value_is_stored_normalised_or_refused(field, value):
    try:
        cleaned = field.clean(value, None)
    except ValidationError:
        return
    assert cleaned == policy.normalise(cleaned)
    assert policy.refused_character(cleaned, one_line=_one_line(field)) is None
    if value.strip():
        assert field.get_db_prep_save(value, connection) == cleaned


def test_line_breaks_and_composed_characters_are_normalised_and_variants_kept():
    objective = Goal._meta.get_field("objective")
    assert objective.clean("か\u3099を\r\n改め\rます", None) == "がを\n改め\nます"
    for variant in VARIANTS:
        assert objective.clean(variant, None) == variant
        DepartmentFactory.build(name=f"{variant}課").clean_fields(exclude=["office"])


def test_every_invisible_character_of_the_running_unicode_tables_is_refused():
    """The policy's ranges (Unicode 15.1) cover the categories they stand for in this Python's tables."""
    for code in range(0x110000):
        character = chr(code)
        category = unicodedata.category(character)
        invisible = category in ("Cf", "Zl", "Zp", "Cs") or (category == "Cc" and character not in "\t\n")
        not_a_character = (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF
        if invisible or not_a_character:
            assert policy.refused_character(character) is not None, hex(code)
    for code in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]:
        assert policy.refused_character(chr(code)) is None, hex(code)


def test_one_line_fields_refuse_line_breaks_and_tabs():
    name = Goal._meta.get_field("categories").related_model._meta.get_field("name")
    for value in ("電話\n対面", "電話\r\n対面", "電話\t対面"):
        with pytest.raises(ValidationError, match="1行で入力"):
            name.clean(value, None)


# --- Every path of a write --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("hostile_text", ["区民\u202e課gnp.exe", "差戻し\x01理由\x1b[31m", "幅\u200bなし"])
def test_no_path_of_a_write_stores_refused_text(hostile_text):
    sheet = GoalSheetFactory()
    goal = GoalFactory(sheet=sheet, number=1)
    writes = {
        "save": lambda: Goal(sheet=sheet, number=2, objective=hostile_text).save(),
        "create": lambda: ReviewEvent.objects.create(
            sheet=sheet, phase="plan", action="return", comment=hostile_text
        ),
        "bulk_create": lambda: Goal.objects.bulk_create([Goal(sheet=sheet, number=3, objective=hostile_text)]),
        "update": lambda: Goal.objects.filter(pk=goal.pk).update(objective=hostile_text),
        "bulk_update": lambda: Goal.objects.bulk_update(
            [Goal(pk=goal.pk, sheet=sheet, number=1, objective=hostile_text)], ["objective"]
        ),
        "note": lambda: Publication.objects.create(
            fiscal_year=sheet.fiscal_year, kind="result", version=1, note=hostile_text
        ),
    }
    for name, write in writes.items():
        with pytest.raises(ValidationError), transaction.atomic():
            write()
        assert not Goal.objects.filter(objective=hostile_text).exists(), name
    assert not ReviewEvent.objects.exists() and not Publication.objects.exists()


@pytest.mark.django_db
def test_save_and_bulk_create_store_the_normalised_text():
    sheet = GoalSheetFactory()
    saved = Goal(sheet=sheet, number=1, objective="か\u3099\r\nき")
    saved.save()
    assert saved.objective == "が\nき"
    Goal.objects.bulk_create([Goal(sheet=sheet, number=2, objective="く\u3099\rけ")])
    Goal.objects.filter(number=1).update(actions="一\r\n二")
    stored = {goal.number: goal for goal in Goal.objects.filter(sheet=sheet)}
    assert stored[1].objective == "が\nき" and stored[1].actions == "一\n二"
    assert stored[2].objective == "ぐ\nけ"


def test_what_was_stored_before_the_policy_prints_without_the_refused_characters():
    assert clean_text("区民\u202e課gnp.exe") == "区民課gnp.exe"
    assert clean_text("承認\x01取消\x1b[31m") == "承認取消[31m"
    assert clean_text("葛\U000e0100飾\r\n区") == "葛\U000e0100飾\n区"


@pytest.mark.django_db
def test_goals_stored_before_the_policy_are_copied_into_the_next_year_without_what_it_refuses(seed_year):
    source = Goal.objects.filter(sheet__fiscal_year=seed_year, sheet__department__name=KIKAKU).first()
    stored_in_sql(source, objective="窓口\u200bの案内\u202eを改めます。", actions="具体的には\x01、")
    principle = seed_year.principles.first()
    stored_in_sql(principle, text=f"{principle.text}\ufeff")

    year = fiscal_year_open_next(previous=seed_year, copy_goals_for=[seed_department(KIKAKU)])

    copy = Goal.objects.get(sheet__fiscal_year=year, number=source.number, sheet__department__name=KIKAKU)
    assert (copy.objective, copy.actions) == ("窓口の案内を改めます。", "具体的には、")
    assert year.principles.get(number=principle.number).text == principle.text
