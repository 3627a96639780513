"""The search form shared by the public and the staff search: validation only."""

from django import forms

from goals.wareki import fiscal_year_full_label
from reports.search.terms import MAX_QUERY_LENGTH, MAX_TERMS, normalise, split_terms

MAX_DEPARTMENT_LENGTH = 100


class SearchForm(forms.Form):
    """キーワード, 年度, 区分 and 部署. The year and category choices come from what may be searched."""

    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="空白で区切ると、すべての語を含む目標を探します。",
        error_messages={
            "max_length": f"キーワードは{MAX_QUERY_LENGTH}文字以内で入力してください。"
        },
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control"}),
    )
    year = forms.TypedChoiceField(
        label="年度",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    category = forms.ChoiceField(
        label="区分", required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    department = forms.CharField(
        label="部署",
        required=False,
        max_length=MAX_DEPARTMENT_LENGTH,
        help_text="部署名の一部 (例: 区民課)",
        error_messages={
            "max_length": f"部署名は{MAX_DEPARTMENT_LENGTH}文字以内で入力してください。"
        },
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, years=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "すべての年度")] + [
            (year, fiscal_year_full_label(year)) for year in years
        ]
        self.fields["category"].choices = [("", "すべての区分")] + [(c, c) for c in categories]

    def clean_q(self):
        # The length is checked on what was typed (before NFKC, which can lengthen text).
        terms = split_terms(self.cleaned_data["q"])
        if len(terms) > MAX_TERMS:
            raise forms.ValidationError(f"キーワードは{MAX_TERMS}語までにしてください。")
        return terms

    def clean_department(self):
        return normalise(self.cleaned_data["department"])

    def has_criteria(self) -> bool:
        """Whether anything was asked: an empty form only shows itself."""
        data = self.cleaned_data
        return bool(data["q"] or data["year"] or data["category"] or data["department"])
