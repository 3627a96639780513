"""Forms of the approver's pages: validation only; the views hand the cleaned data to the services."""

import re

from django import forms

from goals import rules
from goals.forms import VersionForm
from goals.models import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_GOALS_PER_SHEET,
    FiscalYear,
    PolicyPrinciple,
    RatingLevel,
    SheetStatus,
)
from goals.validators import normalise_text, parse_whole_number, text_problem, validate_plain_text

_TEXTAREA = forms.Textarea(attrs={"rows": 5})
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApproveForm(VersionForm):
    """承認: the version of the sheet the page showed. A sheet that changed since is refused."""


class CommentField(forms.CharField):
    """A review comment: stored as the sheet's texts are (goals.validators), so refused alike."""

    def __init__(self, **kwargs):
        super().__init__(widget=_TEXTAREA, max_length=2000, validators=[validate_plain_text], **kwargs)

    def to_python(self, value):
        return normalise_text(super().to_python(value))


class ReturnForm(VersionForm):
    comment = CommentField(
        label="差戻しの理由 (部署に表示されます)",
        help_text="どの目標のどこを、どのように直してほしいかを具体的に書いてください。",
        error_messages={"required": rules.RETURN_REASON_REQUIRED},
    )


class ReopenForm(VersionForm):
    reason = CommentField(
        label="承認を取り消す理由 (部署に表示されます)",
        help_text="承認を取り消すと、シートは「差戻し」に戻り、部署が修正して再提出します。",
        error_messages={"required": rules.REOPEN_REASON_REQUIRED},
    )


class PhaseForm(forms.Form):
    """Open or close one phase of a year. Opening needs a deadline: reminders and 期限超過 rely on it."""

    OPEN, CLOSED = "open", "closed"

    state = forms.ChoiceField(
        label="受付", choices=[(OPEN, "受付中"), (CLOSED, "受付終了")], widget=forms.RadioSelect
    )
    deadline = forms.DateField(label="締切日", required=False, widget=_DATE)

    def clean(self):
        data = super().clean()
        if data.get("state") == self.OPEN and not data.get("deadline"):
            self.add_error("deadline", "受付を開始するときは締切日を入力してください。")
        return data

    @property
    def is_open(self):
        return self.cleaned_data["state"] == self.OPEN


class MaxGoalsForm(forms.Form):
    """目標数の上限 of a year: a whole number in range (goals.rules says what else refuses it)."""

    max_goals = forms.CharField(
        label="1シートあたりの目標数の上限",
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_GOALS_PER_SHEET}),
        help_text=f"1〜{MAX_GOALS_PER_SHEET}件。部署の目標より少なくはできません。",
        error_messages={"required": rules.MAX_GOALS_RANGE},
    )

    def clean_max_goals(self):
        # Full-width digits read as the imports read them; a number out of range says the range.
        return parse_whole_number(
            self.cleaned_data["max_goals"], minimum=1, maximum=MAX_GOALS_PER_SHEET, label="目標数の上限"
        )


class DepartmentsField(forms.ModelMultipleChoiceField):
    """Departments by id. An id that is not a number a database column can hold is refused like
    any other unknown id: SQLite raises OverflowError on a larger one instead of finding nothing."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk)
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class NextYearForm(forms.Form):
    """Open the year after the newest; departments ticked start from last year's goals as a draft."""

    copy_goals_for = DepartmentsField(
        label="前年度の目標を下書きとして引き継ぐ部署",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="前年度に目標がある部署だけを表示しています。チェックしない部署は空のシート (未着手) から始めます。実施結果は引き継ぎません。",
    )
    plan_deadline = forms.DateField(label="目標設定の締切日", required=False, widget=_DATE)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_goals_for"].queryset = departments


class FirstYearForm(forms.Form):
    """An office's first year, opened without a year before it (goals.services.fiscal_year_open_first)."""

    year = forms.CharField(
        label="年度 (西暦)",
        widget=forms.NumberInput(attrs={"min": FIRST_YEAR, "max": LAST_YEAR}),
        help_text="4月に始まる年度の西暦です (例: 2026 は令和8年度)。",
        error_messages={"required": "年度を西暦で入力してください (例: 2026)。"},
    )
    plan_deadline = forms.DateField(label="目標設定の締切日", required=False, widget=_DATE)
    max_goals = forms.CharField(
        label="1シートあたりの目標数の上限",
        initial=FiscalYear._meta.get_field("max_goals").default,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_GOALS_PER_SHEET}),
        help_text=f"1〜{MAX_GOALS_PER_SHEET}件。後から年度の管理で変えられます。",
        error_messages={"required": rules.MAX_GOALS_RANGE},
    )
    principles = forms.CharField(
        label="区役所サービス向上方針 (1行に1項目)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="①などの番号は不要です。空欄なら、公表する表に方針を載せません。翌年度からは前年度の方針を引き継ぎます。",
    )
    rating_labels = forms.CharField(
        label="達成度評価の段階 (1行に1段階、高い順)",
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="例: 達成 / 概ね達成 / 未達成 を1行ずつ。使わないときは空欄にします (実績は文章だけで報告します)。",
    )

    def clean_year(self):
        return parse_whole_number(self.cleaned_data["year"], minimum=FIRST_YEAR, maximum=LAST_YEAR, label="年度")

    def clean_max_goals(self):
        return parse_whole_number(
            self.cleaned_data["max_goals"], minimum=1, maximum=MAX_GOALS_PER_SHEET, label="目標数の上限"
        )

    def clean_principles(self):
        limit = PolicyPrinciple._meta.get_field("text").max_length
        return _lines(self.cleaned_data["principles"], limit=limit, most=20, what="方針")

    def clean_rating_labels(self):
        limit = RatingLevel._meta.get_field("label").max_length
        labels = _lines(self.cleaned_data["rating_labels"], limit=limit, most=10, what="評価の段階")
        repeated = next((label for n, label in enumerate(labels) if label in labels[:n]), None)
        if repeated:
            raise forms.ValidationError(f"評価の段階「{repeated}」が2回あります。")
        return labels


_PRINTED_NUMBER = re.compile(r"^(?:[\u2460-\u2473]|\(?[0-9０-９]{1,2}[)）.．、])\s*")


def _lines(text, *, limit, most, what) -> tuple[str, ...]:
    """The non-blank lines of a text box, each one line of the text policy; a printed ① dropped."""
    lines = []
    for number, line in enumerate(normalise_text(text).split("\n"), 1):
        line = _PRINTED_NUMBER.sub("", line.strip())
        if not line:
            continue
        if problem := text_problem(line, one_line=True):
            raise forms.ValidationError(f"{number}行目: {problem}")
        if len(line) > limit:
            raise forms.ValidationError(
                f"{number}行目: {what}は1項目{limit}文字以内にしてください (今は{len(line)}文字)。"
            )
        lines.append(line)
    if len(lines) > most:
        raise forms.ValidationError(f"{what}は{most}項目までです (今は{len(lines)}項目)。")
    return tuple(lines)


def _status_choices():
    return [("", "すべて"), *SheetStatus.choices]


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET). Every field is optional; invalid values are ignored."""

    plan_status = forms.ChoiceField(label="目標の状態", choices=_status_choices, required=False)
    result_status = forms.ChoiceField(label="実績の状態", choices=_status_choices, required=False)
    overdue = forms.BooleanField(label="期限超過のみ", required=False)
    q = forms.CharField(label="部署名", required=False, max_length=100)

    def filters(self):
        """Keyword arguments for goals.selectors.filter_dashboard_rows."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "plan_status": data.get("plan_status", ""),
            "result_status": data.get("result_status", ""),
            "overdue_only": data.get("overdue", False),
            "query": data.get("q", ""),
        }

    @property
    def is_filtered(self):
        return any(self.filters().values())
