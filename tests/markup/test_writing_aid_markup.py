"""The writing aid's pages are valid HTML (Nu Html Checker): the goals form with its hints, the
差戻し page with sentences to quote, the dashboard's readability column, and the glossary pages."""

import pytest
from django.urls import reverse

from goals.models import Phase
from goals.services import GoalInput, sheet_save_plan, sheet_submit
from plain.services import glossary_add_standard
from tests.markup.vnu import check, format_messages, missing_tools
from tests.personas import client_for

pytestmark = pytest.mark.anydb

HARD = "区役所サービス基準を遵守し、来庁者のニーズを的確に把握するとともに、窓口において各担当が不在にしている場合でも対応します。"


def test_writing_aid_pages_are_valid_html(editor, approver, sheet, year):
    if (reason := missing_tools()) is not None:
        pytest.fail(reason)
    office = year.office
    glossary_add_standard(office=office)
    kwargs = {"office": office.slug, "year": year.year, "code": sheet.department.code}
    editing = client_for(editor)
    sheet = sheet_save_plan(sheet=sheet, goals=[GoalInput(number=1, objective=HARD)], expected_version=1, by=editor)
    documents = {"goals form (hints)": editing.get(reverse("goals:plan_edit", kwargs=kwargs)).content}
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=editor)
    reviewing = client_for(approver)
    term = office.glossary_terms.get(term="遵守")
    documents |= {
        "差戻し (quotes)": reviewing.get(reverse("goals:return", kwargs={**kwargs, "phase": "plan"})).content,
        "dashboard": reviewing.get(reverse("goals:dashboard", kwargs={"office": office.slug, "year": year.year})).content,
        "glossary": reviewing.get(reverse("plain:glossary", kwargs={"office": office.slug})).content,
        "glossary: new (errors)": reviewing.post(
            reverse("plain:term_new", kwargs={"office": office.slug}), {"term": "遵守", "plain": ""}
        ).content,
        "glossary: delete": reviewing.get(
            reverse("plain:term_delete", kwargs={"office": office.slug, "pk": term.pk})
        ).content,
    }
    assert b"quote-text" in documents["差戻し (quotes)"] and b"writing-field" in documents["goals form (hints)"]
    errors = {name: [m for m in messages if m.is_error] for name, messages in check(documents).items()}
    assert not any(errors.values()), "\n".join(f"{name}:\n{format_messages(found)}" for name, found in errors.items() if found)
