"""Publications: immutable, versioned releases of a year's table and their stored files."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone

from goals.models import FiscalYear
from reports.search.index import GramsField, index_row
from wardservice.fields import LineField, PlainTextField


class PublicationKind(models.TextChoices):
    PLAN = "plan", "目標"
    RESULT = "result", "目標と実績"


class FileFormat(models.TextChoices):
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"
    CSV = "csv", "CSV"


class PublicationStatus(models.TextChoices):
    PENDING = "pending", "公表待ち"
    RENDERING = "rendering", "作成中"
    PUBLISHED = "published", "公表済"
    FAILED = "failed", "失敗"


class Publication(models.Model):
    """One version of a year's table. A correction is a new version; a published one is never edited.

    The table is frozen in `table` when 公表 is requested; the files are rendered from it in the
    background, and only when all are stored does the version become PUBLISHED (and public).
    Versions are numbered per fiscal year across both kinds (第1版 目標, 第2版 目標と実績, 第3版 a
    correction …), so /reports/<office>/<year>/v<n>/ names exactly one of them.
    """

    # A version waiting or rendering that has not moved for this long is taken to be lost (a
    # worker that died or never ran) and may be retried. Rendering a whole city takes well under
    # a minute, and each finished file moves `updated_at`.
    STALE_AFTER = timedelta(minutes=10)
    # A version rendering that has not moved for this long is shown to the approver as stopped,
    # with 再試行. Shorter than STALE_AFTER: a person is looking at the page and can decide.
    STALLED_AFTER = timedelta(minutes=2)

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
    status = models.CharField(
        "状態", max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField("進捗 (%)", default=0)
    requested_at = models.DateTimeField("公表操作日時", auto_now_add=True)
    published_at = models.DateTimeField("公表日時", null=True, blank=True)
    note = PlainTextField("訂正内容", blank=True, max_length=1000)
    error = PlainTextField("エラー", blank=True)
    table = models.JSONField("公表時の表", default=dict, help_text="公表操作の時点の内容")
    attempt = models.PositiveSmallIntegerField(
        "作成の試行回数", default=0, help_text="ファイル作成を始めるたびに増えます"
    )
    updated_at = models.DateTimeField("最終更新日時", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "公表"
        ordering = ["fiscal_year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "version"], name="publication_unique_version_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="publication_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=PublicationKind.values), name="publication_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="publication_progress_percent"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PublicationStatus.PUBLISHED)
                | models.Q(published_at__isnull=False),
                name="publication_published_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PublicationStatus.PUBLISHED) | models.Q(progress=100),
                name="publication_published_is_complete",
            ),
        ]
        indexes = [models.Index(fields=["fiscal_year", "kind", "status", "-version"])]

    def __str__(self):
        return f"{self.fiscal_year} {self.get_kind_display()} 第{self.version}版"

    @property
    def is_published(self):
        return self.status == PublicationStatus.PUBLISHED

    @property
    def is_finished(self):
        """Whether nothing more will happen to it without someone acting (published or failed)."""
        return self.status in (PublicationStatus.PUBLISHED, PublicationStatus.FAILED)

    def is_stale(self, now=None):
        """Waiting or rendering, but not moved for STALE_AFTER: its worker is taken to be lost."""
        now = now or timezone.now()
        return (
            self.status in (PublicationStatus.PENDING, PublicationStatus.RENDERING)
            and self.updated_at < now - self.STALE_AFTER
        )

    def is_stalled(self, now=None):
        """Rendering, but not moved for STALLED_AFTER: shown as stopped, and may be retried."""
        now = now or timezone.now()
        return self.status == PublicationStatus.RENDERING and self.updated_at < now - self.STALLED_AFTER

    @classmethod
    def stalled_after_minutes(cls):
        return int(cls.STALLED_AFTER.total_seconds() // 60)

    @property
    def can_retry(self):
        """A failed version, or one whose worker was lost or has stopped, may be rendered again."""
        return self.status == PublicationStatus.FAILED or self.is_stale() or self.is_stalled()


def artifact_name(publication, attempt, filename):
    """Where an attempt stores a file. Each attempt has its own folder, so a lost worker that
    wakes up late can never write over the files of the attempt that was published."""
    fy = publication.fiscal_year
    return f"publications/{fy.office.slug}/{fy.year}/v{publication.version}/attempt-{attempt}/{filename}"


def _artifact_path(instance, filename):
    return artifact_name(instance.publication, instance.publication.attempt, filename)


class PublicationFile(models.Model):
    """A stored artifact of a publication, with the checksum it was published with."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="files", verbose_name="公表"
    )
    format = models.CharField("形式", max_length=10, choices=FileFormat.choices)
    file = models.FileField("ファイル", upload_to=_artifact_path, max_length=300)
    size = models.PositiveBigIntegerField("サイズ (バイト)")
    sha256 = LineField("SHA-256", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "公表ファイル"
        ordering = ["publication", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "format"], name="publicationfile_unique_format"
            ),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), 64), name="publicationfile_sha256_length"
            ),
        ]

    def __str__(self):
        return f"{self.publication} {self.get_format_display()}"


class PublishedGoalQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Rows are indexed for search as they are written (reports.search.index.index_row)."""
        objs = list(objs)
        for obj in objs:
            index_row(obj)
        return super().bulk_create(objs, *args, **kwargs)


class PublishedGoal(models.Model):
    """One goal row as published: frozen, denormalised text for search, open data and statistics.

    `year`, `municipality_code` and `office_name` are those of the row's frozen table, copied
    onto every row so that one index (publishedgoal_search_order, migration 0005) holds the
    public search's order: PostgreSQL can then walk it and stop at a page of hits, instead of
    sorting every hit of a common word across joined tables first.

    `search_text` and `search_grams` are what the public search reads (reports.search.index):
    set from the row's texts whenever it is saved or bulk-created. A writer that goes around
    the ORM (the bench's COPY) calls index_row itself.
    """

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="goals", verbose_name="公表"
    )
    year = models.PositiveSmallIntegerField("年度 (西暦)")
    municipality_code = LineField("全国地方公共団体コード", max_length=6)
    office_name = LineField("区役所名", max_length=100)
    position = models.PositiveIntegerField("表の中の順番")
    department_code = LineField("部署コード", max_length=20)
    department_name = LineField("部署名", max_length=200)
    number = models.PositiveSmallIntegerField("目標番号")
    categories = LineField("区分", max_length=300, blank=True, help_text="「・」区切り")
    objective = PlainTextField("目標")
    actions = PlainTextField("具体的な取組内容", blank=True)
    done = PlainTextField("実施結果", blank=True)
    rating = LineField("達成度評価", max_length=30, blank=True)
    achievement = PlainTextField("目標の達成度", blank=True)
    omitted_reason = PlainTextField("省略の理由", blank=True)
    search_text = PlainTextField("検索用の文字列", blank=True, editable=False)
    search_grams = GramsField("検索用の索引", null=True, editable=False)

    objects = PublishedGoalQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "公表された目標"
        ordering = ["publication", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "position"], name="publishedgoal_unique_position"
            ),
        ]
        indexes = [
            # The search's 区分 choices step through the distinct values of this one
            # (selectors_search.published_category_values).
            models.Index(fields=["categories"], name="publishedgoal_categories"),
            # A year's 区分 filter counts its hits from the index alone.
            models.Index(
                fields=["publication", "categories"], name="publishedgoal_publication_tags"
            ),
        ]
        # The text search's GIN index of search_grams is PostgreSQL's alone: see migration 0008.
        # The index of the search's order (publishedgoal_search_order) carries columns of its
        # own there: see migration 0005.

    def __str__(self):
        return f"{self.department_name} 目標{self.number}"

    def save(self, *args, **kwargs):
        index_row(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "search_grams"}
        super().save(*args, **kwargs)



class PendingUploadFlavor(models.TextChoices):
    ENTRY_WORKBOOK = "entry_workbook", "記入用Excel"
    DATA_TABLE = "data_table", "データ (CSV/Excel)"
    PUBLISHED_TEXT = "published_text", "公表済みの表 (テキスト)"


class PendingUpload(models.Model):
    """An uploaded file that was checked and previewed, waiting for 確定 (reports.imports.uploads).

    The bytes wait here rather than in the session, so that a user's later requests do not load
    megabytes of session data. The preview page posts back only `token`; 確定 accepts it from
    the same person, for the same page, within EXPIRES_AFTER, once.
    """

    EXPIRES_AFTER = timedelta(hours=1)

    token = LineField("トークン", max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_uploads",
        verbose_name="アップロードした人",
    )
    flavor = models.CharField("取込の種類", max_length=20, choices=PendingUploadFlavor.choices)
    office = models.ForeignKey(
        "departments.Office",
        on_delete=models.CASCADE,
        related_name="pending_uploads",
        verbose_name="区役所",
    )
    year = models.PositiveSmallIntegerField("年度 (西暦)")
    sheet = models.ForeignKey(
        "goals.GoalSheet",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pending_uploads",
        verbose_name="目標シート",
        help_text="記入用Excelのときだけ",
    )
    filename = LineField("ファイル名", max_length=200, blank=True)
    data = models.BinaryField("内容")
    size = models.PositiveIntegerField("サイズ (バイト)")
    sha256 = LineField("SHA-256", max_length=64)
    options = models.JSONField("取込の指定", default=dict, blank=True)
    created_at = models.DateTimeField("アップロード日時", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "確定待ちのアップロード"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["token"], name="pendingupload_unique_token"),
            models.CheckConstraint(
                condition=models.Q(flavor__in=PendingUploadFlavor.values),
                name="pendingupload_flavor_valid",
            ),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), 64), name="pendingupload_sha256_length"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(flavor=PendingUploadFlavor.ENTRY_WORKBOOK, sheet__isnull=False)
                    | (
                        ~models.Q(flavor=PendingUploadFlavor.ENTRY_WORKBOOK)
                        & models.Q(sheet__isnull=True)
                    )
                ),
                name="pendingupload_sheet_only_for_workbooks",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="pendingupload_owner_created"),
            models.Index(fields=["created_at"], name="pendingupload_created"),
        ]

    def __str__(self):
        return f"{self.get_flavor_display()} {self.filename} ({self.owner})"

    def expires_at(self):
        return self.created_at + self.EXPIRES_AFTER

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at()


class ImportStatus(models.TextChoices):
    PENDING = "pending", "待機中"
    RUNNING = "running", "取込中"
    DONE = "done", "完了"
    FAILED = "failed", "取り込めませんでした"


class ImportJob(models.Model):
    """A confirmed データ (CSV/Excel) import, run in the background (reports.imports.jobs).

    It holds the file until a worker has run it, then what came of it: the numbers written, or
    the problems that stopped it (the first MAX_PROBLEMS of them; nothing was written then).
    """

    STALE_AFTER = timedelta(minutes=10)
    MAX_PROBLEMS = 200

    office = models.ForeignKey(
        "departments.Office", on_delete=models.CASCADE, related_name="import_jobs", verbose_name="区役所"
    )
    year = models.PositiveSmallIntegerField("年度 (西暦)")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name="取り込んだ人",
    )
    filename = LineField("ファイル名", max_length=200, blank=True)
    kind = models.CharField("形式", max_length=10, choices=[("csv", "CSV"), ("xlsx", "Excel")])
    data = models.BinaryField("内容", blank=True, help_text="取込が終わると消去します")
    options = models.JSONField("取込の指定", default=dict, blank=True)
    status = models.CharField(
        "状態", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    step = LineField("処理中の段階", max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField("進捗 (%)", default=0)
    summary = models.JSONField("取り込んだ件数", default=dict, blank=True)
    problems = models.JSONField("問題", default=list, blank=True, help_text="先頭の問題 (行・列・内容)")
    problem_count = models.PositiveIntegerField("問題の件数", default=0)
    error = PlainTextField("エラー", blank=True)
    created_at = models.DateTimeField("確定日時", default=timezone.now)
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    updated_at = models.DateTimeField("最終更新日時", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "データ取込"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="importjob_progress_percent"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[ImportStatus.DONE, ImportStatus.FAILED])
                | models.Q(finished_at__isnull=False),
                name="importjob_finished_has_date",
            ),
        ]
        indexes = [models.Index(fields=["office", "year", "-created_at"], name="importjob_office_year")]

    def __str__(self):
        return f"{self.office} {self.year}年度 {self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def is_stale(self, now=None):
        """Queued or running, but nothing heard of it for a while: no worker, or one that died
        (an import is one transaction: nothing of it was written then)."""
        now = now or timezone.now()
        return not self.is_finished and now - self.updated_at > self.STALE_AFTER


# --- ふりがな (reports.furigana) ----------------------------------------------------------------


class ReadingEntry(models.Model):
    """One word of an office's ふりがなの辞書: proper nouns read as the office reads them
    (中原区 → なかはらく). It wins over the analyser when readings are made at 公表."""

    office = models.ForeignKey(
        "departments.Office", on_delete=models.CASCADE, related_name="reading_entries", verbose_name="区役所"
    )
    word = LineField("語", max_length=40, help_text="漢字を含む語です。例: 中原区")
    reading = LineField("読み", max_length=100, help_text="ひらがなで入力します。例: なかはらく")
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "ふりがなの辞書の語"
        ordering = ["office", "word"]
        constraints = [
            models.UniqueConstraint(fields=["office", "word"], name="readingentry_unique_word_per_office"),
            models.CheckConstraint(condition=~models.Q(word=""), name="readingentry_word_not_empty"),
            models.CheckConstraint(condition=~models.Q(reading=""), name="readingentry_reading_not_empty"),
        ]

    def __str__(self):
        return f"{self.word} ({self.reading})"


class PublicationReadings(models.Model):
    """A version's year page with ふりがな, made once from its stored page (reports.furigana).

    Served instead of the page when a reader turns ふりがな on (reports.furigana.serving); without
    one, the page is served as stored. Stored beside the version's files, with its SHA-256 for the ETag.

    A page published before ふりがな existed has no link to turn it on: for that one, `plain_file`
    is the page as published with the link added, served in its place (blank for every page
    published since, which has the link already).
    """

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="readings", verbose_name="公表"
    )
    file = models.FileField("ふりがな付きのページ", max_length=300)
    size = models.PositiveBigIntegerField("サイズ (バイト)")
    sha256 = LineField("SHA-256", max_length=64)
    plain_file = models.FileField(
        "ふりがなを表示するリンクを加えたページ", max_length=300, blank=True, help_text="ふりがなより前に公表した版だけ"
    )
    plain_size = models.PositiveBigIntegerField("サイズ (バイト)", null=True, blank=True)
    plain_sha256 = LineField("SHA-256", max_length=64, blank=True)
    made_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "公表のふりがな"
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("sha256"), 64), name="publicationreadings_sha256_length"
            ),
        ]

    def __str__(self):
        return f"{self.publication} ふりがな"


class PublishedGoalReadings(models.Model):
    """The readings of one published row's texts, for the public search's hits:
    {text: segments} (reports.furigana.readings), made with the version's page."""

    goal = models.OneToOneField(
        PublishedGoal, on_delete=models.CASCADE, primary_key=True, related_name="readings", verbose_name="公表された目標"
    )
    texts = models.JSONField("文ごとの読み", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "公表された目標のふりがな"

    def __str__(self):
        return f"{self.goal} ふりがな"
