"""The ふりがなの辞書's form: one word and its reading, checked before anything is saved."""

from django import forms

from reports.furigana.readings import HIRAGANA_READING, align, has_kanji, hiragana
from reports.models import ReadingEntry


class ReadingEntryForm(forms.ModelForm):
    """A word with kanji and its reading in hiragana (katakana is taken as hiragana). The kana
    written in the word must be in the reading where they are (取り組み → とりくみ), so that they
    stay outside the ruby. A word the office has already is refused with what was typed kept."""

    class Meta:
        model = ReadingEntry
        fields = ["word", "reading"]
        error_messages = {
            "word": {"required": "語を入力してください。"},
            "reading": {"required": "読みを入力してください。"},
        }

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = office
        self.instance.office = office
        for bound in self.fields.values():
            bound.widget.attrs["autocomplete"] = "off"
            # Lengths are refused with a message rather than cut by the browser.
            bound.widget.attrs.pop("maxlength", None)

    def clean_word(self):
        word = self.cleaned_data["word"].strip()
        if not has_kanji(word):
            raise forms.ValidationError("漢字を含む語を入力してください (ふりがなは漢字の上に付きます)。")
        if any(c.isspace() for c in word):
            raise forms.ValidationError("語には空白を入れないでください。")
        taken = ReadingEntry.objects.filter(office=self.office, word=word).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"「{word}」は辞書にあります。一覧から編集してください。")
        return word

    def clean_reading(self):
        return hiragana("".join(self.cleaned_data["reading"].split()))

    def clean(self):
        cleaned = super().clean()
        word, reading = cleaned.get("word"), cleaned.get("reading")
        if not reading:
            return cleaned
        # Hiragana, and the signs written in the word itself (高齢・障害課 → こうれい・しょうがいか).
        signs = {c for c in word or "" if not has_kanji(c)}
        if not HIRAGANA_READING.match("".join(c for c in reading if c not in signs) or "ー"):
            self.add_error("reading", "読みはひらがなで入力してください (例: なかはらく)。")
        elif word and align(word, reading) is None:
            self.add_error(
                "reading",
                f"読みが語に合いません。語の中のかな (「{''.join(c for c in word if not has_kanji(c))}」) を、"
                "読みの同じ位置にも入れてください。",
            )
        return cleaned
