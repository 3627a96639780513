"""The writing aid (plain.analysis) on a sheet's texts.

Per field: the goals and results forms (as typed, live or after a save), the 差戻し page (the
sheet as submitted, as sentences 総務課 can quote in the comment) and the entry-workbook preview
(the file's content). Per sheet and phase: one level for the dashboard, from the texts the page
loads in one query. Nothing here blocks a save: hints are advice.
"""

from collections import defaultdict
from dataclasses import dataclass

from goals.models import Goal, Phase
from goals.selectors import sheet_content
from goals.validators import normalise_text
from plain.analysis import Analysis, Level, analyse, combined_level

FIELD_LABELS = {
    "objective": "目標",
    "actions": "具体的な取組内容",
    "done": "実施結果",
    "achievement": "目標の達成度",
    "omitted_reason": "省略の理由",
}
PLAN_FIELDS = ("objective", "actions")
RESULT_FIELDS = ("done", "achievement")


@dataclass(frozen=True)
class FieldText:
    """One text field of a sheet: which goal, which field, what it says, and where it is typed."""

    number: int
    field: str  # a key of FIELD_LABELS
    text: str
    target: str = ""  # the id of its textarea on the page, where there is one
    phase: str = Phase.PLAN

    @property
    def label(self) -> str:
        """目標 2 — 具体的な取組内容"""
        return f"目標 {self.number} — {FIELD_LABELS[self.field]}"

    @property
    def quote_prefix(self) -> str:
        """How a 差戻し comment names the field: 目標2, or 目標2 (実施結果) for a result's text
        (goals.selectors.goal_numbers_named reads the number back)."""
        if self.phase == Phase.PLAN:
            return f"目標{self.number}"
        return f"目標{self.number} ({FIELD_LABELS[self.field]})"


@dataclass(frozen=True)
class FieldHints:
    """A field's text and what the writing aid says of it."""

    field: FieldText
    analysis: Analysis

    @property
    def requests(self) -> list[str]:
        """Sentences for a 差戻し comment: 「目標2: 『遵守』は『守る』など、やさしい言葉にしてください。」"""
        return [f"{self.field.quote_prefix}: {hint.request}" for hint in self.analysis.hints]


def analyse_fields(texts, glossary) -> list[FieldHints]:
    """Each field with text, analysed; empty fields are left out."""
    return [FieldHints(text, analyse(text.text, glossary)) for text in texts if text.text.strip()]


# --- Where the texts come from --------------------------------------------------------------------


def _number(form) -> int:
    """A goal form's number as the page shows it in its legend ("目標 2")."""
    return int(form.legend.rsplit(" ", 1)[-1])


def plan_form_texts(formset) -> list[FieldText]:
    """The goals as typed on the plan form (bound) or as saved (unbound), read loosely."""
    texts = []
    for form in formset.forms:
        if "DELETE" in form.fields and form["DELETE"].value():
            continue
        for name in PLAN_FIELDS:
            texts.append(
                FieldText(_number(form), name, normalise_text(form[name].value()), form[name].id_for_label, Phase.PLAN)
            )
    return texts


def result_form_texts(formset) -> list[FieldText]:
    """The results as typed on the results form (bound) or as saved (unbound): the reason alone
    where the result is omitted, as it will be printed."""
    texts = []
    for form in formset.forms:
        names = ("omitted_reason",) if form["is_omitted"].value() else RESULT_FIELDS
        for name in names:
            texts.append(
                FieldText(form.goal.number, name, normalise_text(form[name].value()), form[name].id_for_label, Phase.RESULT)
            )
    return texts


def content_texts(content, phase) -> list[FieldText]:
    """The texts of a sheet_content() dict (goals.selectors): the plan's or the results'."""
    texts = []
    for goal in content["goals"]:
        if phase == Phase.PLAN:
            texts += [FieldText(goal["number"], name, goal[name] or "", phase=phase) for name in PLAN_FIELDS]
            continue
        result = goal.get("result") or {}
        names = ("omitted_reason",) if result.get("is_omitted") else RESULT_FIELDS
        texts += [FieldText(goal["number"], name, result.get(name) or "", phase=phase) for name in names]
    return texts


# --- The dashboard --------------------------------------------------------------------------------


def year_levels(fiscal_year) -> dict[int, dict[str, Level | None]]:
    """{sheet id: {phase: level}} of every sheet of the year with text, in one query: each phase's
    texts read as one. The scores are kept per text (plain.analysis), so a dashboard shown again
    measures only what changed."""
    plan, result = defaultdict(list), defaultdict(list)
    rows = Goal.objects.filter(sheet__fiscal_year=fiscal_year).order_by("sheet_id", "number").values_list(
        "sheet_id", "objective", "actions", "result__done", "result__achievement", "result__is_omitted",
        "result__omitted_reason",
    )
    for sheet_id, objective, actions, done, achievement, is_omitted, reason in rows:
        plan[sheet_id] += [objective, actions]
        result[sheet_id] += [reason] if is_omitted else [done, achievement]
    return {
        sheet_id: {Phase.PLAN: combined_level(plan[sheet_id]), Phase.RESULT: combined_level(result[sheet_id])}
        for sheet_id in plan
    }


# --- The 差戻し page --------------------------------------------------------------------------------


def sheet_field_hints(sheet, phase, glossary) -> list[FieldHints]:
    """The fields of the sheet's phase, as saved, that have hints (for the 差戻し comment)."""
    fields = analyse_fields(content_texts(sheet_content(sheet), phase), glossary)
    return [item for item in fields if item.analysis.hints]
