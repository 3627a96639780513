from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.models import Office
from reports.imports.table import TableImportError, import_table


class Command(BaseCommand):
    help = (
        "データ形式 (CSV、または Excel のシート「データ」) の区役所サービス向上目標を、承認済みの目標シートとして取り込みます。"
        " 問題があれば行と列をすべて示し、何も取り込みません。年度がなければ作成します。承認済みのシートは上書きしません。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="取り込むファイル (.csv は UTF-8、.xlsx はシート「データ」)"
        )
        parser.add_argument("--office", required=True, help="区役所の URL名 (例: nakahara)")
        parser.add_argument("--year", required=True, type=int, help="年度 (西暦、例: 2020)")
        parser.add_argument(
            "--dry-run", action="store_true", help="確認だけ行い、何も書き込みません"
        )
        parser.add_argument(
            "--create-tags",
            action="store_true",
            help="区役所の区分にない区分を、新しい区分として作成します",
        )

    def handle(self, *args, path, office, year, dry_run, create_tags, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"区役所「{office}」は登録されていません。")
        if not 1989 <= year <= 2200:
            raise CommandError(f"年度 {year} は範囲外です (1989〜2200)。")
        try:
            summary = import_table(
                path=path, office=office_obj, year=year, dry_run=dry_run, create_tags=create_tags
            )
        except TableImportError as error:
            raise CommandError(f"{path}: {error}") from error
        prefix = "[確認のみ・何も書き込んでいません] " if dry_run else ""
        created = " (年度を新規作成)" if summary.year_created else ""
        self.stdout.write(
            f"{prefix}{office_obj} {year}年度{created}: 部署 {summary.departments} (新規 {summary.departments_created})、"
            f"取込 {summary.sheets_imported} シート / {summary.goals_imported} 目標、"
            f"変更なし {summary.sheets_unchanged} シート"
        )
