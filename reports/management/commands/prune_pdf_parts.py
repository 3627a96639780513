"""Delete the cached PDF parts that no publication has used for a while."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from reports.exporters.pdf.parts import PartCache


class Command(BaseCommand):
    help = (
        "PDF の部品 (PDF_PARTS_DIR) のうち、指定した日数使われていないものを削除する。"
        "部品はキャッシュなので、消した部品が必要になれば公表のときに作り直す。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=400, help="この日数使われていない部品を削除する (既定 400)"
        )

    def handle(self, *args, days, **options):
        removed = PartCache().prune(unused_for=timedelta(days=days))
        self.stdout.write(f"{days}日以上使われていない PDF の部品を {removed} 個削除しました。")
