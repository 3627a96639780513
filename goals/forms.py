"""Editors' forms: a sheet's goals (目標設定) and its results (実績報告).

Validation only: the views hand the cleaned values to goals.services, which save them. Every
message is Japanese and says what to do; a text's length is counted the way it is stored
(line breaks as one character, edges trimmed), so the page's live count and the server agree.
"""

from dataclasses import dataclass
from functools import partial

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT

from goals.models import MAX_ACHIEVEMENT, MAX_ACTIONS, MAX_DONE, MAX_OBJECTIVE, MAX_OMITTED_REASON
from goals.services import GoalInput, ResultInput
from goals.validators import normalise_text, parse_goal_number, validate_plain_text

TOO_LONG = "%(limit_value)d文字以内で入力してください (現在 %(show_value)d 文字)。"


class PlainTextField(forms.CharField):
    """Multi-line plain text with a limit in characters, shown to the person and counted live."""

    widget = forms.Textarea

    def __init__(self, *, limit, rows=4, **kwargs):
        self.limit, self.rows = limit, rows
        kwargs.setdefault("help_text", f"{limit}文字以内。段落ごとに改行してください。")
        kwargs["error_messages"] = {"max_length": TOO_LONG, **kwargs.get("error_messages", {})}
        super().__init__(max_length=limit, validators=[validate_plain_text], **kwargs)

    def to_python(self, value):
        # Browsers send line breaks as \r\n; stored (and counted) they are one \n.
        return normalise_text(super().to_python(value))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # No maxlength: the browser would count differently (UTF-16) and cut pasted text silently;
        # the page counts live instead and the server says how much is too much.
        attrs.pop("maxlength", None)
        return {**attrs, "rows": self.rows, "data-char-limit": self.limit}


def _helper(*fields):
    helper = FormHelper()
    helper.form_tag = False  # one <form> holds the version, every goal and the buttons
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of a page, linking to its field."""

    target: str  # element id
    text: str


class VersionForm(forms.Form):
    """The sheet's version when the page was opened: a save against a newer one is refused."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": "画面の情報が不足しています。ページを読み込み直してください。",
            "invalid": "画面の情報が正しくありません。ページを読み込み直してください。",
            "min_value": "画面の情報が正しくありません。ページを読み込み直してください。",
        },
    )

    def error_links(self):
        """The summary lines for a missing or broken version (linking to the save buttons)."""
        if not self.is_bound or self.is_valid():
            return []
        return [ErrorLink("save-buttons", str(error)) for error in self.errors.get("version", [])]


class GoalForm(forms.Form):
    """One goal of the plan: number, 区分 tags of this year, 目標 and 具体的な取組内容."""

    # Coerced by parse_goal_number within the year's range, set in __init__.
    number = forms.TypedChoiceField(label="目標番号", help_text="公表する表での順番です。")
    categories = forms.TypedMultipleChoiceField(
        label="区分",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="当てはまるものをすべて選びます。当てはまるものがなければ選ばなくてかまいません。",
        error_messages={"invalid_choice": "この年度で使えない区分が選ばれています。選び直してください。"},
    )
    objective = PlainTextField(
        label="目標", limit=MAX_OBJECTIVE, error_messages={"required": "目標を入力してください。"}
    )
    actions = PlainTextField(
        label="具体的な取組内容",
        limit=MAX_ACTIONS,
        rows=5,
        required=False,
        help_text=f"{MAX_ACTIONS}文字以内。任意。段落ごとに改行してください。",
    )

    def __init__(self, *args, max_goals, categories, position, is_new, **kwargs):
        super().__init__(*args, **kwargs)
        self.position = position  # 1-based place on the page, for labels when the number is unreadable
        self.is_new = is_new
        self.max_goals = max_goals
        self.year_categories = {c.pk: c for c in categories}
        self.fields["number"].choices = [(n, str(n)) for n in range(1, max_goals + 1)]
        self.fields["number"].coerce = partial(parse_goal_number, max_goals=max_goals)
        self.fields["categories"].choices = [(c.pk, c.name) for c in categories]
        self.mark_required()

    def mark_required(self):
        """Say what the label's 「*」 says: a saved goal's 目標 is `required` (the formset turns the
        attribute off for all its forms). A new goal's form stays optional as a whole: its fields are
        only aria-required, which never stops a save with that form left blank."""
        if not self.is_new:
            self.use_required_attribute = True
            return
        for field in self.fields.values():
            if field.required:
                field.widget.attrs["aria-required"] = "true"

    @property
    def helper(self):
        # Read at rendering: the formset adds DELETE after __init__, and only to saved goals.
        extra = ["DELETE"] if "DELETE" in self.fields else []
        return _helper(
            Field("number", css_class="w-auto"),
            # Not crispy's InlineCheckboxes: its template puts an invalid for="" on the <legend>.
            Field("categories", wrapper_class="inline-choices"),
            "objective",
            "actions",
            *extra,
        )

    @property
    def legend(self):
        """目標 2: the number the person chose, or the form's place while it is not a number."""
        return f"目標 {_typed_number(self['number'].value(), self.position, self.max_goals)}"

    def has_changed(self):
        # Reordering moves numbers onto the empty forms: a number alone is not a new goal.
        return any(name != "number" for name in self.changed_data)

    def clean_categories(self):
        return tuple(self.year_categories[pk] for pk in self.tag_order(self.cleaned_data["categories"]))

    def tag_order(self, ticked) -> list[int]:
        """The ticked tag ids in the goal's own order (the table prints them so).

        Checkboxes carry no order: the goal's saved tags that stay keep theirs, and newly ticked
        ones follow in the year's order.
        """
        ticked = {int(pk) for pk in map(str, ticked) if pk.isascii() and pk.isdigit() and len(pk) <= 18}
        ticked &= self.year_categories.keys()
        kept = [pk for pk in self.initial.get("categories") or () if pk in ticked]
        added = [pk for pk in self.year_categories if pk in ticked and pk not in kept]
        return kept + added


FORMSET_ERRORS = {
    "missing_management_form": "画面の情報が不足しています。ページを読み込み直してください。",
    "too_many_forms": "入力欄が多すぎます。ページを読み込み直してください。",
    "bad_counts": "画面の情報 (入力欄の数) が正しくありません。ページを読み込み直してください。",
}


class CheckedCounts:
    """A formset whose management values are ones its page could have sent: no negative count and
    no more saved forms than forms. (Django takes a negative total as "no forms at all".)"""

    def check_counts(self):
        counts = self.management_form.cleaned_data
        total, initial = counts.get(TOTAL_FORM_COUNT, 0), counts.get(INITIAL_FORM_COUNT, 0)
        if total < 0 or initial < 0 or initial > total:
            raise ValidationError(self.error_messages["bad_counts"], code="bad_counts")


class BaseGoalFormSet(CheckedCounts, forms.BaseFormSet):
    """The sheet's goals: the saved ones, then empty forms up to the year's limit.

    A saved goal is removed only when its own form asks for it (この目標を削除する): one that a post
    leaves out altogether is refused, not deleted.
    """

    default_error_messages = FORMSET_ERRORS

    def __init__(self, *args, fiscal_year, **kwargs):
        self.fiscal_year = fiscal_year
        self.year_categories = list(fiscal_year.categories.order_by("sort_order", "name"))
        super().__init__(*args, **kwargs)
        # A few more forms than allowed still reach clean() and get its clear message; a
        # tampered count of thousands does not get processed at all.
        self.absolute_max = fiscal_year.max_goals + 10

    def get_form_kwargs(self, index):
        extra = index - self.initial_form_count()
        kwargs = {
            "max_goals": self.fiscal_year.max_goals,
            "categories": self.year_categories,
            "position": index + 1,
            "is_new": extra >= 0,
        }
        if extra >= 0:
            # An empty form offers a number no saved goal has, so filling it in needs no choice.
            free = self._free_numbers()
            kwargs["initial"] = {"number": free[extra] if extra < len(free) else self.fiscal_year.max_goals}
        return kwargs

    def _free_numbers(self):
        used = {goal.get("number") for goal in self.initial or ()}
        return [n for n in range(1, self.fiscal_year.max_goals + 1) if n not in used]

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "この目標を削除する"
            form.fields["DELETE"].help_text = "チェックして保存すると、この目標は削除されます。"

    def goal_forms(self):
        """The forms that stand for a goal: the saved ones and the filled-in new ones, less 削除."""
        return [
            form
            for index, form in enumerate(self.forms)
            if not form.cleaned_data.get("DELETE")
            and (index < self.initial_form_count() or form.has_changed())
        ]

    def clean(self):
        self.check_counts()
        goals = self.goal_forms()
        self.check_nothing_left_out(goals)
        limit = self.fiscal_year.max_goals
        if len(goals) > limit:
            raise ValidationError(
                f"目標は{limit}件までです (現在 {len(goals)} 件)。不要な目標を削除してください。", code="too_many"
            )
        seen = set()
        for form in goals:
            number = form.cleaned_data.get("number")
            if number in seen:
                form.add_error("number", f"目標番号 {number} が重複しています。別の番号を選んでください。")
            seen.add(number)

    def check_nothing_left_out(self, goals):
        """Every saved goal is still there (perhaps under another number) or its own form, on the
        page as a saved goal's form, is ticked for deletion: the save removes no other."""
        kept = {form.cleaned_data.get("number") for form in goals}
        on_page = min(self.initial_form_count(), len(self.forms))
        saved = [goal["number"] for goal in self.initial or ()]
        left_out = [number for place, number in enumerate(saved) if place >= on_page and number not in kept]
        if left_out:
            numbers = "・".join(f"目標{number}" for number in left_out)
            raise ValidationError(
                f"保存済みの{numbers}が画面の入力欄にないため、保存できません。目標を削除するときは、"
                "その目標の「この目標を削除する」にチェックしてください。ページを読み込み直してから、もう一度入力してください。",
                code="left_out",
            )

    def goal_inputs(self) -> list[GoalInput]:
        """The validated goals, as the service takes them, in number order."""
        goals = [
            GoalInput(
                number=form.cleaned_data["number"],
                objective=form.cleaned_data["objective"],
                actions=form.cleaned_data["actions"],
                categories=form.cleaned_data["categories"],
            )
            for form in self.goal_forms()
        ]
        return sorted(goals, key=lambda goal: goal.number)

    def typed_goals(self) -> list[dict]:
        """What the person has typed, read loosely (nothing validated), for the live preview."""
        names = {c.pk: c.name for c in self.year_categories}
        typed = []
        for form in self.forms:
            deleted = "DELETE" in form.fields and form["DELETE"].value()
            if deleted or not _typed(form, "objective", "actions", "categories"):
                continue
            typed.append(
                {
                    "number": _typed_number(form["number"].value(), form.position, form.max_goals),
                    "categories": [names[pk] for pk in form.tag_order(form["categories"].value() or ())],
                    "objective": normalise_text(form["objective"].value()),
                    "actions": normalise_text(form["actions"].value()),
                }
            )
        return typed

    def error_summary(self) -> list[ErrorLink]:
        """Every error on the page, for the summary at the top, each linking to its field."""
        links = [ErrorLink("goals-heading", str(error)) for error in self.non_form_errors()]
        for form in self.forms:
            if not form.cleaned_data.get("DELETE"):  # a deleted goal's errors do not matter
                links += field_error_links(form, prefix=form.legend)
        return links


def _typed_number(value, fallback: int, max_goals: int) -> int:
    """A goal number as typed, read as the form reads it, else the form's place (for labels and
    the live preview, before anything is validated)."""
    try:
        return parse_goal_number(value, max_goals=max_goals)
    except ValidationError:
        return fallback


def _typed(form, *names):
    return any(form[name].value() not in (None, "", [], ()) for name in names)


def field_error_links(form, *, prefix="", hidden_target=None):
    """A form's errors as summary lines: "目標 2 — 目標: 目標を入力してください。".

    A hidden field's errors (the page's version) link to `hidden_target`, the part of the page
    they concern, when given: there is nothing to type in the field itself.
    """
    links = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            links += [ErrorLink(f"{form.prefix or 'form'}-fieldset", f"{prefix}: {e}") for e in errors]
            continue
        field = form[name]
        if field.is_hidden and hidden_target:
            links += [ErrorLink(hidden_target, str(error)) for error in errors]
            continue
        target = field.id_for_label or f"div_{field.auto_id}"
        label = f"{prefix} — {field.label}" if prefix else field.label
        links += [ErrorLink(target, f"{label}: {error}") for error in errors]
    return links


def plan_forms(sheet, goals, data=None):
    """(version form, goals formset) for the plan page: saved goals first, then empty ones."""
    initial = [
        {
            "number": goal.number,
            "categories": [c.pk for c in goal.ordered_categories()],
            "objective": goal.objective,
            "actions": goal.actions,
        }
        for goal in goals
    ]
    formset_class = forms.formset_factory(
        GoalForm,
        formset=BaseGoalFormSet,
        extra=max(sheet.fiscal_year.max_goals - len(initial), 0),
        can_delete=True,
        can_delete_extra=False,
    )
    formset = formset_class(data, initial=initial, fiscal_year=sheet.fiscal_year, prefix="goals")
    return VersionForm(data, initial={"version": sheet.version}), formset


class ResultForm(forms.Form):
    """One goal's result: 実施結果, 目標の達成度 and its rating, or the reason it is omitted."""

    done = PlainTextField(label="実施結果", limit=MAX_DONE, rows=6, required=False)
    rating = forms.TypedChoiceField(
        label="達成度評価",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="任意。この年度の評価段階から選びます。",
        error_messages={"invalid_choice": "この年度で使えない達成度評価が選ばれています。選び直してください。"},
    )
    achievement = PlainTextField(label="目標の達成度", limit=MAX_ACHIEVEMENT, required=False)
    is_omitted = forms.BooleanField(
        label="総括を省略する",
        required=False,
        widget=forms.CheckboxInput(attrs={"data-omit-toggle": ""}),
        help_text="省略すると、実施結果の代わりに下の理由が公表する表に載ります。",
    )
    omitted_reason = PlainTextField(
        label="省略の理由",
        limit=MAX_OMITTED_REASON,
        rows=2,
        required=False,
        help_text=(
            f"{MAX_OMITTED_REASON}文字以内。省略する場合は必須です。"
            "例: ※新型コロナウイルス感染症対応状況を踏まえ、総括を省略とします"
        ),
    )

    # Ignored when the result is omitted: the service stores and prints only the reason then.
    RESULT_FIELDS = ("done", "rating", "achievement")

    def __init__(self, *args, goal, rating_levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.rating_levels = {level.pk: level for level in rating_levels}
        if rating_levels:
            self.fields["rating"].choices = [("", "選択しない")] + [(r.pk, r.label) for r in rating_levels]
        else:
            del self.fields["rating"]  # the year has no scale: narrative text only
        self.helper = _helper(*(Field(name, css_class="w-auto") if name == "rating" else name for name in self.fields))

    @property
    def legend(self):
        return f"目標 {self.goal.number}"

    def clean(self):
        data = super().clean()
        if data.get("is_omitted"):
            for name in self.RESULT_FIELDS:
                self.errors.pop(name, None)
                data.pop(name, None)
            if not data.get("omitted_reason") and "omitted_reason" not in self.errors:
                self.add_error("omitted_reason", "総括を省略する場合は、省略の理由を入力してください。")
        return data

    def result_input(self) -> ResultInput:
        data = self.cleaned_data
        if data.get("is_omitted"):
            return ResultInput(number=self.goal.number, omitted_reason=data["omitted_reason"])
        return ResultInput(
            number=self.goal.number,
            done=data.get("done", ""),
            achievement=data.get("achievement", ""),
            rating=self.rating_levels.get(data.get("rating")),
        )


class BaseResultFormSet(CheckedCounts, forms.BaseFormSet):
    """One result form per goal of the sheet, in number order; goals are fixed by now."""

    default_error_messages = FORMSET_ERRORS

    def clean(self):
        self.check_counts()

    def __init__(self, *args, goals, rating_levels, **kwargs):
        self.goals, self.rating_levels = list(goals), list(rating_levels)
        super().__init__(*args, **kwargs)
        # A tampered form count must not reach past the sheet's goals.
        self.max_num = self.absolute_max = len(self.goals)

    def get_form_kwargs(self, index):
        return {"goal": self.goals[index], "rating_levels": self.rating_levels}

    def result_inputs(self) -> list[ResultInput]:
        return [form.result_input() for form in self.forms]

    def typed_results(self) -> dict:
        """{goal number: typed values} read loosely, for the live preview."""
        labels = {str(level.pk): level.label for level in self.rating_levels}
        typed = {}
        for form in self.forms:
            omitted = bool(form["is_omitted"].value())
            rating = form["rating"].value() if "rating" in form.fields else None
            typed[form.goal.number] = {
                "done": normalise_text(form["done"].value()),
                "achievement": normalise_text(form["achievement"].value()),
                "rating": labels.get(str(rating or ""), ""),
                "omitted_reason": normalise_text(form["omitted_reason"].value()) if omitted else "",
            }
        return typed

    def error_summary(self) -> list[ErrorLink]:
        links = [ErrorLink("results-heading", str(error)) for error in self.non_form_errors()]
        for form in self.forms:
            links += field_error_links(form, prefix=form.legend)
        return links


def result_forms(sheet, goals, rating_levels, data=None):
    """(version form, results formset) for the results page: one form per goal."""
    goals = list(goals)
    initial = [_result_initial(goal) for goal in goals]
    formset_class = forms.formset_factory(ResultForm, formset=BaseResultFormSet, extra=0)
    formset = formset_class(data, initial=initial, goals=goals, rating_levels=rating_levels, prefix="results")
    return VersionForm(data, initial={"version": sheet.version}), formset


def _result_initial(goal):
    result = getattr(goal, "result", None)
    if result is None:
        return {}
    return {
        "done": result.done,
        "achievement": result.achievement,
        "rating": result.rating_id,
        "is_omitted": result.is_omitted,
        "omitted_reason": result.omitted_reason,
    }
