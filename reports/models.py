"""Publications: immutable, versioned releases of a year's table and their stored files."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from goals.models import FiscalYear


class PublicationKind(models.TextChoices):
    PLAN = "plan", "目標"
    RESULT = "result", "目標と実績"


class FileFormat(models.TextChoices):
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"
    CSV = "csv", "CSV"


class Publication(models.Model):
    """One published version of a year's table. A correction is a new version; none is ever edited."""

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="publications", verbose_name="年度"
    )
    kind = models.CharField("種類", max_length=10, choices=PublicationKind.choices)
    version = models.PositiveIntegerField("版")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="publications",
        verbose_name="公表者",
    )
    published_at = models.DateTimeField("公表日時")
    note = models.TextField("訂正内容", blank=True, max_length=1000)

    class Meta:
        verbose_name = verbose_name_plural = "公表"
        ordering = ["fiscal_year", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "kind", "version"], name="publication_unique_version"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="publication_version_positive"),
            models.CheckConstraint(
                condition=models.Q(kind__in=PublicationKind.values), name="publication_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year} {self.get_kind_display()} 第{self.version}版"


def _artifact_path(instance, filename):
    pub = instance.publication
    fy = pub.fiscal_year
    return f"publications/{fy.office.slug}/{fy.year}/{pub.kind}/v{pub.version}/{filename}"


class PublicationFile(models.Model):
    """A stored artifact of a publication, with the checksum it was published with."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="files", verbose_name="公表"
    )
    format = models.CharField("形式", max_length=10, choices=FileFormat.choices)
    file = models.FileField("ファイル", upload_to=_artifact_path, max_length=300)
    size = models.PositiveBigIntegerField("サイズ (バイト)")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "公表ファイル"
        ordering = ["publication", "format"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "format"], name="publicationfile_unique_format"),
            models.CheckConstraint(condition=Exact(Length("sha256"), 64), name="publicationfile_sha256_length"),
        ]

    def __str__(self):
        return f"{self.publication} {self.get_format_display()}"
