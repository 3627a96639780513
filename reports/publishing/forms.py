"""The 公表 confirmation's form: the table the page showed (its fingerprint), the explicit
confirmation and, for a 訂正, what was corrected. Validation only: publication_request() decides."""

from django import forms

from goals.validators import normalise_text
from reports.publishing.services import NOTE_REQUIRED, note_refusal

CONFIRMATION = "内容を確認しました。公表します。"
NOT_CONFIRMED = "公表するには、表の内容を確認してからチェックを入れてください。"
PAGE_INCOMPLETE = "画面の情報が不足しています。公表の確認のページを開き直してください。"


class PublishForm(forms.Form):
    fingerprint = forms.RegexField(
        regex=r"\A[0-9a-f]{64}\Z",
        widget=forms.HiddenInput,
        error_messages={"required": PAGE_INCOMPLETE, "invalid": PAGE_INCOMPLETE},
    )
    note = forms.CharField(
        label="訂正内容",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="公表ページに「訂正 (公表日)」として表示されます。どこをどう訂正したかを書いてください (1000文字以内)。",
        error_messages={"required": NOTE_REQUIRED},
    )
    confirmed = forms.BooleanField(label=CONFIRMATION, error_messages={"required": NOT_CONFIRMED})

    def __init__(self, *args, correction=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not correction:
            del self.fields["note"]  # a first publication keeps no note

    def clean_note(self):
        note = normalise_text(self.cleaned_data["note"])
        if not note:
            raise forms.ValidationError(NOTE_REQUIRED)
        refusal = note_refusal(note)
        if refusal:
            raise forms.ValidationError(refusal)
        return note
