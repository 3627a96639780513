from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.models import Office
from reports.imports.published import TableImportError, import_published_table
from reports.imports.published_text import PublishedTableError, parse_published_table


class Command(BaseCommand):
    help = (
        "公表済みの区役所サービス向上目標 (PDF から取り出したテキスト形式) を、承認済みの目標シートとして取り込みます。"
        " 同じ表を再度取り込んでも何も変わりません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="取り込むテキストファイル (UTF-8)")
        parser.add_argument("--office", required=True, help="区役所の URL名 (例: nakahara)")
        parser.add_argument("--year", required=True, type=int, help="年度 (西暦、例: 2020)")

    def handle(self, *args, path, office, year, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"区役所「{office}」は登録されていません。")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} を UTF-8 のテキストとして読めません: {error}") from error
        try:
            table = parse_published_table(text)
            summary = import_published_table(office=office_obj, year=year, table=table)
        except (PublishedTableError, TableImportError) as error:
            raise CommandError(f"{path}: {error} (何も取り込んでいません)") from error
        self.stdout.write(
            f"{office_obj} {year}年度: 部署 {len(table.departments)} (新規 {summary.departments_created})、"
            f"取込 {summary.sheets_imported} シート / {summary.goals_imported} 目標、"
            f"変更なし {summary.sheets_unchanged} シート"
        )
