"""Forms of the approver's pages: validation only; the views hand the cleaned data to the services."""

from django import forms

from goals import rules
from goals.forms import VersionForm
from goals.models import SheetStatus
from goals.validators import normalise_text, validate_plain_text

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
