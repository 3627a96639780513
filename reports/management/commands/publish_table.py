import time

from django.core.management.base import BaseCommand, CommandError

from goals.models import FiscalYear
from reports.models import Publication, PublicationKind, PublicationStatus
from reports.selectors import unfinished_publication
from reports.publishing.services import PublishingError, publication_request, publication_retry

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "年度の区役所サービス向上目標の表を公表します (画面の「公表」と同じ規則・同じファイル)。"
        "同じ年度・種類の公表処理が失敗していれば、新しい版を作らずに再試行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="区役所の URL名 (例: nakahara)")
        parser.add_argument("--year", required=True, type=int, help="年度 (西暦、例: 2020)")
        parser.add_argument(
            "--kind", required=True, choices=PublicationKind.values,
            help="plan: 目標のみ、result: 目標と実績",
        )
        parser.add_argument("--note", default="", help="訂正内容 (公表済みの表を訂正するときは必須)")
        parser.add_argument(
            "--timeout", type=float, default=600,
            help="ファイル作成の完了を待つ秒数 (既定 600)。0 なら待たずに終了します",
        )

    def handle(self, *args, office, year, kind, note, timeout, **options):
        fiscal_year = FiscalYear.objects.select_related("office").filter(office__slug=office, year=year).first()
        if fiscal_year is None:
            raise CommandError(f"区役所「{office}」の{year}年度は登録されていません。")
        try:
            publication = self._start(fiscal_year, kind, note)
        except PublishingError as error:
            raise CommandError(str(error)) from error
        if timeout:
            self._follow(publication, timeout)

    def _start(self, fiscal_year, kind, note):
        """A retry of the year's unfinished version of this kind if it can be retried, else a new one."""
        unfinished = unfinished_publication(fiscal_year, kind)
        if unfinished is not None and unfinished.can_retry:
            if note:
                self.stderr.write("再試行では --note は使われません (訂正内容は公表操作の時点のままです)。")
            self.stdout.write(f"{unfinished} を再試行します。")
            return publication_retry(publication=unfinished)
        publication = publication_request(fiscal_year=fiscal_year, kind=kind, by=None, note=note)
        self.stdout.write(f"{publication} の公表を受け付けました。")
        return publication

    def _follow(self, publication, timeout):
        """Print the progress until the version is published or failed (or the time is up)."""
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            publication = Publication.objects.defer("table").get(pk=publication.pk)
            if (publication.status, publication.progress) != shown:
                shown = (publication.status, publication.progress)
                self.stdout.write(f"  {publication.get_status_display()} {publication.progress}%")
            if publication.status == PublicationStatus.PUBLISHED:
                self.stdout.write(self.style.SUCCESS(self._published(publication)))
                return
            if publication.status == PublicationStatus.FAILED:
                raise CommandError(
                    f"{publication} のファイル作成に失敗しました: {publication.error}\n"
                    "原因を取り除いてから、同じコマンドで再試行してください。"
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    f"{publication} はまだ作成中です。`manage.py db_worker` が動いているか確認してください。"
                )
            time.sleep(POLL_SECONDS)

    def _published(self, publication):
        files = ", ".join(
            f"{file.get_format_display()} {file.size:,} バイト" for file in publication.files.all()
        )
        return f"{publication} を公表しました ({files})。"
