"""Validation of the staff pages' input. Every text passes the text policy (wardservice.text)."""

import unicodedata
from typing import NamedTuple

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q
from django.utils import timezone

from departments.models import (
    EMPLOYEE_NUMBER_MAX,
    Department,
    Role,
    StaffChangeKind,
    StaffProfile,
    validate_employee_number,
)
from departments.staff.dates import parse_day
from departments.staff.rules import username_problem
from departments.staff.selectors import Status, office_departments
from wardservice import text

NAME_MAX = 150  # django.contrib.auth's first_name / last_name


def normalise_employee_number(value) -> str:
    """職員番号 as stored: the text policy, then full-width letters and digits made half-width
    (as Excel and IMEs often type them), upper case, without surrounding blanks."""
    return unicodedata.normalize("NFKC", text.normalise(str(value or ""))).strip().upper()


def one_line(value, *, label) -> str:
    """A one-line text field's value under the text policy, else ValidationError naming it."""
    value = text.normalise(value or "").strip()
    problem = text.text_problem(value, one_line=True)
    if problem:
        raise forms.ValidationError(f"{label}: {problem[0]}", code=problem[1])
    return value


class ErrorLink(NamedTuple):
    """A line of the error summary (templates/_error_summary.html): an element id and the text."""

    target: str
    text: str


def labelled(label, error) -> str:
    """A summary line: the error with its field's label in front, unless it begins with it."""
    error = str(error)
    return error if error.startswith(label) else f"{label}: {error}"


class ErrorSummaryMixin:
    """The errors of a page for its summary: (element id, text) with the field's label."""

    def error_links(self, *, prefix=""):
        links = []
        for name, errors in self.errors.items():
            if name in self.fields:
                field = self[name]
                target = field.id_for_label or field.auto_id
                label = f"{prefix}{field.label}"
            else:
                target, label = "staff-form", prefix.rstrip(" —") or "入力"
            links += [ErrorLink(target, labelled(label, error)) for error in errors]
        return links


class StaffDetailsForm(ErrorSummaryMixin, forms.Form):
    last_name = forms.CharField(label="氏 (姓)", max_length=NAME_MAX)
    first_name = forms.CharField(label="名", max_length=NAME_MAX, required=False)
    email = forms.EmailField(
        label="メールアドレス",
        required=False,
        help_text="提出・承認・差戻しの通知が届きます。なければ空欄にします。",
        error_messages={"invalid": "メールアドレスの形式が正しくありません (例: kikaku@example.jp)。"},
    )
    employee_number = forms.CharField(
        label="職員番号",
        max_length=EMPLOYEE_NUMBER_MAX * 2,  # full-width as typed; checked again once half-width
        help_text=f"半角英数字とハイフン{EMPLOYEE_NUMBER_MAX}文字以内。人事異動のファイルはこの番号で職員を見分けます。",
    )

    def __init__(self, *args, office, user=None, **kwargs):
        self.office, self.user = office, user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.required and isinstance(field, forms.CharField):
                field.error_messages["required"] = f"{field.label}を入力してください。"

    def clean_last_name(self):
        return one_line(self.cleaned_data["last_name"], label="氏")

    def clean_first_name(self):
        return one_line(self.cleaned_data["first_name"], label="名")

    def clean_employee_number(self):
        number = normalise_employee_number(self.cleaned_data["employee_number"])
        validate_employee_number(number)
        taken = StaffProfile.objects.filter(office=self.office, employee_number=number)
        if self.user is not None:
            taken = taken.exclude(user=self.user)
        holder = taken.select_related("user").first()
        if holder is not None:
            raise forms.ValidationError(
                f"職員番号 {number} は既に {holder.user.last_name} {holder.user.first_name} さん"
                f" (アカウント {holder.user.username}) の番号です。"
            )
        return number


class StaffCreateForm(StaffDetailsForm):
    PASSWORD_ISSUE, PASSWORD_NONE = "issue", "none"

    username = forms.CharField(
        label="アカウント名",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="ログインに使う名前。半角英数字と @ . + - _ (ディレクトリでログインする区役所では、ディレクトリのアカウント名)。",
        error_messages={"required": "アカウント名を入力してください。"},
    )
    password = forms.ChoiceField(
        label="最初のログイン",
        choices=[
            (PASSWORD_ISSUE, "仮パスワードを発行する (次の画面に一度だけ表示します)"),
            (PASSWORD_NONE, "パスワードを発行しない (ディレクトリのアカウントでログインする)"),
        ],
        initial=PASSWORD_ISSUE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    field_order = ["username", "last_name", "first_name", "email", "employee_number", "password"]

    def clean_username(self):
        username = unicodedata.normalize("NFKC", self.cleaned_data["username"]).strip()
        UnicodeUsernameValidator()(username)
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem)
        return username


class AssignmentForm(forms.Form):
    """One department and the role in it; both empty leaves the row out."""

    department = forms.ModelChoiceField(
        label="部署", queryset=None, required=False, empty_label="(選ばない)"
    )
    role = forms.ChoiceField(label="役割", choices=[("", "(選ばない)"), *Role.choices], required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].error_messages["invalid_choice"] = (
            "その部署は選べません (廃止されたか、別の区役所の部署です)。選び直してください。"
        )

    def clean(self):
        data = super().clean()
        department, role = data.get("department"), data.get("role")
        if department and not role:
            self.add_error("role", f"{department.name}での役割を選んでください。")
        elif role and not department and "department" not in self.errors:
            self.add_error("department", "部署を選んでください。")
        return data


class BaseAssignmentFormSet(forms.BaseFormSet):
    def clean(self):
        if any(form.errors for form in self.forms):
            return
        seen = set()
        for form in self.forms:
            department = form.cleaned_data.get("department")
            if department is None:
                continue
            if department.pk in seen:
                raise forms.ValidationError(
                    f"{department.name}が2回選ばれています。1つの部署には1つの役割にしてください。"
                )
            seen.add(department.pk)
        if not seen:
            raise forms.ValidationError(
                "所属する部署を1つ以上選んでください。すべての所属を外すときは「退職・転出」を使ってください。"
            )

    def assignments(self):
        return [
            (form.cleaned_data["department"], form.cleaned_data["role"])
            for form in self.forms
            if form.cleaned_data.get("department")
        ]

    def error_links(self):
        links = [ErrorLink("assignments", labelled("所属", error)) for error in self.non_form_errors()]
        for number, form in enumerate(self.forms, 1):
            for name, errors in form.errors.items():
                field = form[name]
                links += [ErrorLink(field.id_for_label, f"所属{number}の{field.label}: {e}") for e in errors]
        return links


EXTRA_ROWS = 2


def assignment_formset(*, office, data=None, memberships=()):
    """The rows of departments and roles: the person's memberships and EXTRA_ROWS empty ones.

    The office's active departments can be chosen, and those the person belongs to already
    (a department made inactive keeps its members until someone moves them)."""
    memberships = list(memberships)
    initial = [{"department": m.department_id, "role": m.role} for m in memberships]
    departments = Department.objects.filter(office=office).filter(
        Q(is_active=True) | Q(pk__in=[m.department_id for m in memberships])
    ).order_by("sort_order", "code")
    formset_class = forms.formset_factory(
        AssignmentForm, formset=BaseAssignmentFormSet, extra=EXTRA_ROWS, max_num=100, absolute_max=100
    )
    return formset_class(
        data,
        initial=initial,
        prefix="assignments",
        # Every row is read as posted, blank or unchanged from its initial value alike.
        form_kwargs={"departments": departments, "empty_permitted": False},
    )


class LeaveForm(ErrorSummaryMixin, forms.Form):
    kind = forms.ChoiceField(
        label="理由",
        choices=[(StaffChangeKind.RETIRE, "退職"), (StaffChangeKind.TRANSFER_OUT, "転出 (他の区役所・部局へ)")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "退職か転出かを選んでください。"},
    )
    effective_on = forms.CharField(
        label="異動日",
        max_length=30,
        help_text=(
            "この日からログインできなくなります (3月31日付で退職する人は 2025-04-01 のように翌日)。"
            "今日以前ならすぐに、先の日付ならその日の朝に適用します。"
        ),
        error_messages={"required": "異動日を入力してください (例: 2025-04-01)。"},
    )

    def clean_effective_on(self):
        typed = self.cleaned_data["effective_on"]
        shown = text.as_one_line(typed)[:20]
        try:
            day = parse_day(typed)
        except ValueError:
            raise forms.ValidationError(f"異動日「{shown}」はありえない日付です。") from None
        if day is None:
            raise forms.ValidationError(
                f"異動日「{shown}」を日付として読めません。2025-04-01 や 2025/4/1 のように入力してください。"
            )
        if abs((day - timezone.localdate()).days) > 366:
            raise forms.ValidationError("異動日が今日から1年以上離れています。日付を確認してください。")
        return day


class StaffFilterForm(forms.Form):
    q = forms.CharField(
        label="氏名・アカウント・職員番号・メール", max_length=100, required=False,
        error_messages={"max_length": "検索する文字は100文字以内にしてください。"},
    )
    department = forms.ModelChoiceField(
        label="部署", queryset=None, required=False, empty_label="すべての部署",
        error_messages={"invalid_choice": "その部署はありません。選び直してください。"},
    )
    role = forms.ChoiceField(label="役割", choices=[("", "すべての役割"), *Role.choices], required=False)
    status = forms.ChoiceField(label="状態", choices=Status.CHOICES, required=False)

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = office_departments(office)

    def clean_q(self):
        value = text.normalise(self.cleaned_data["q"] or "").strip()
        if text.refused_character(value, one_line=True):
            raise forms.ValidationError("検索する文字に使えない文字が含まれています。")
        return value

    def filters(self):
        """The list's filters; all staff in service when nothing (valid) was asked."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "department": data.get("department"),
            "role": data.get("role", ""),
            "status": data.get("status") or Status.ACTIVE,
        }


class TransferUploadForm(forms.Form):
    file = forms.FileField(label="人事異動のファイル (CSV または Excel)", required=False)
