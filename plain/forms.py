"""The glossary page's form: validation only (plain.services saves)."""

from django import forms

from plain.models import GlossaryTerm


class GlossaryTermForm(forms.ModelForm):
    """One word of the glossary. The text policy (wardservice.fields) checks each field; a term the
    office has already is refused by the service, with the typed values kept."""

    class Meta:
        model = GlossaryTerm
        fields = ["term", "plain", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "term": {"required": "用語を入力してください。"},
            "plain": {"required": "やさしい言い方を入力してください。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("term", "plain"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        # Lengths are refused with a message rather than cut by the browser.
        for bound in self.fields.values():
            bound.widget.attrs.pop("maxlength", None)
