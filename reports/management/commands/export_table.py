from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from goals.models import FiscalYear
from reports.exporters import EXPORTERS
from reports.models import PublicationKind
from reports.table import build_table
from wardservice.outputs import cannot_write, export_directory


class Command(BaseCommand):
    help = (
        "年度の区役所サービス向上目標の表を HTML・PDF・Excel・CSV のいずれかで書き出します (承認済みのシートのみ)。"
        "書き出し先は -o (ファイル名またはフォルダ)、省略すると環境変数 EXPORT_DIR のフォルダ "
        "(既定はプロジェクトの exports/) です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="区役所の URL名 (例: nakahara)")
        parser.add_argument("--year", required=True, type=int, help="年度 (西暦、例: 2020)")
        parser.add_argument("--format", required=True, choices=sorted(EXPORTERS), dest="fmt")
        parser.add_argument(
            "--kind", choices=PublicationKind.values, default=PublicationKind.RESULT,
            help="plan: 目標のみ、result: 目標と実績 (既定)",
        )
        parser.add_argument(
            "-o", "--output", type=Path, metavar="PATH",
            help="書き出すファイル名、またはフォルダ (既定: EXPORT_DIR に table-URL名-年度-種類.拡張子)",
        )

    def handle(self, *args, office, year, fmt, kind, output=None, **options):
        fiscal_year = FiscalYear.objects.select_related("office").filter(office__slug=office, year=year).first()
        if fiscal_year is None:
            raise CommandError(f"区役所「{office}」の{year}年度は登録されていません。")
        table = build_table(fiscal_year, kind)
        if not table.departments:
            raise CommandError(f"{fiscal_year}には、書き出せる承認済みのシートがありません。")
        exporter = EXPORTERS[fmt]
        folder = export_directory()
        data = exporter.render(table)
        target = output or folder / exporter.filename(table)
        try:
            if output is None:
                folder.mkdir(parents=True, exist_ok=True)
            elif output.is_dir():  # a folder the user may not look into raises here too
                target = output / exporter.filename(table)
            target.write_bytes(data)
        except OSError as error:
            raise CommandError(cannot_write(target, error, folder=folder, setting="EXPORT_DIR")) from error
        self.stdout.write(
            f"{table.title} ({len(table.departments)} 部署、{table.goal_count} 目標) を {target} に書き出しました"
            f" ({len(data):,} バイト)"
        )
