from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.models import Office
from goals.models import FIRST_YEAR, LAST_YEAR
from reports.imports.table import CHECKING, MAX_ROWS, WRITING, TableImportError, import_table


class Command(BaseCommand):
    help = (
        "データ形式 (CSV、または Excel のシート「データ」) の区役所サービス向上目標を、承認済みの目標シートとして取り込みます"
        " (目標設定・実績報告を受付中の年度では、部署に代わって提出した状態で取り込み、承認者が審査します)。"
        " 問題があれば行と列をすべて示し、何も取り込みません。年度がなければ作成します。承認済みのシートは上書きしません。"
        f" 1つのファイルは {MAX_ROWS:,} 行まで。進捗を表示しながら、終わるまで実行します。"
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
            "--policy",
            type=Path,
            help=(
                "区役所サービス向上方針のテキストファイル (UTF-8、1行に1項目)。"
                "CSV には方針が入らないため、年度に方針がなければこれで加えます。"
                "Excel ファイルはシート「方針」があれば、そこから読みます"
            ),
        )
        parser.add_argument(
            "--create-tags",
            action="store_true",
            help="区役所の区分にない区分を、新しい区分として作成します",
        )

    def _progress(self, step, done, total):
        line = _progress_line(step, done, total)
        if line is not None and self.verbosity >= 1:
            self.stdout.write(line)
            self.stdout.flush()

    def handle(self, *args, path, office, year, dry_run, create_tags, policy=None, **options):
        self.verbosity = options.get("verbosity", 1)
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"区役所「{office}」は登録されていません。")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"年度 {year} は範囲外です ({FIRST_YEAR}〜{LAST_YEAR})。")
        policy_text = _read_policy(Path(policy)) if policy else None
        try:
            file = path.open("rb")
        except OSError as error:
            raise CommandError(f"{path}: ファイルを読めません: {error}") from error
        with file:
            try:
                summary = import_table(
                    file=file,
                    kind=path.suffix.lower().removeprefix("."),
                    office=office_obj,
                    year=year,
                    dry_run=dry_run,
                    create_tags=create_tags,
                    policy=policy_text,
                    progress=self._progress,
                )
            except TableImportError as error:
                raise CommandError(f"{path}: {error}") from error
        prefix = "[確認のみ・何も書き込んでいません] " if dry_run else ""
        created = " (年度を新規作成)" if summary.year_created else ""
        self.stdout.write(
            f"{prefix}{office_obj} {year}年度{created}: 部署 {summary.departments} (新規 {summary.departments_created})、"
            f"取込 {summary.sheets_imported} シート / {summary.goals_imported} 目標、"
            f"変更なし {summary.sheets_unchanged} シート"
            + (f"、区役所サービス向上方針 {len(summary.policy)} 項目を登録" if summary.policy else "")
        )
        if summary.departments_inactive:
            self.stdout.write(
                f"新規の部署は、{year}年度より後の年度があるため「無効」として登録"
                f"{'します' if dry_run else 'しました'} (現在もある部署は管理画面で有効にしてください)。"
            )


def _progress_line(step, done, total):
    """What the command prints as the import moves on (None: nothing at this point)."""
    if step == CHECKING and done == 0:
        return f"{total:,} 行を確認しています"
    if step == WRITING and done:
        return f"書込 {done:,}/{total:,} シート"
    return None


def _read_policy(path):
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise CommandError(f"{path}: ファイルを読めません: {error}") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: UTF-8 のテキストとして読めません。UTF-8 で保存してください。") from error
