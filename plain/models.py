"""The office's glossary (用語集): administrative words and the plain wording 総務課 suggests for
them. The writing aid (plain.analysis) points these words out as departments write."""

from django.conf import settings
from django.db import models

from wardservice.fields import LineField, PlainTextField

MAX_TERM = 40
MAX_PLAIN = 100
MAX_NOTE = 400


class GlossaryTerm(models.Model):
    """One word of an office's glossary: 「遵守」 → 「守る」."""

    office = models.ForeignKey("departments.Office", on_delete=models.CASCADE, related_name="glossary_terms")
    term = LineField("用語", max_length=MAX_TERM, help_text="文章の中で見つける言葉です。例: 遵守")
    plain = LineField(
        "やさしい言い方", max_length=MAX_PLAIN, help_text="代わりに勧める言い方です。例: 守る (いくつかあるときは「、」で区切ります)"
    )
    note = PlainTextField("備考", max_length=MAX_NOTE, blank=True, help_text="任意。使い分けや例文など、書く人への説明です。")
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更新した人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "用語集の用語"
        ordering = ["office", "term"]
        constraints = [
            models.UniqueConstraint(fields=["office", "term"], name="glossary_term_unique_per_office"),
            models.CheckConstraint(condition=~models.Q(term=""), name="glossary_term_not_empty"),
            models.CheckConstraint(condition=~models.Q(plain=""), name="glossary_plain_not_empty"),
        ]

    def __str__(self):
        return f"{self.term} → {self.plain}"
