from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.department_list import Action
from departments.models import Office
from goals.office_list_files import office_list_file
from goals.services.office_lists import (
    OfficeListsError,
    SourceFile,
    office_lists_apply,
    office_lists_plan,
    office_lists_read,
)
from wardservice.uploads import UploadRejected, read_upload


class Command(BaseCommand):
    help = (
        "区役所の部署と区分を、Excel (シート「部署」「区分」) か CSV (部署の一覧・区分の一覧、1つか2つ) から登録・変更します。"
        " 職員用ページの「部署と区分の取込」と同じ確認をして、登録する内容を表示します。問題があれば行と列をすべて示し、何も変更しません。"
        " 一覧にない部署や区分は残します (--deactivate-missing のときだけ部署を無効にします)。同じファイルをもう一度取り込んでも何も変わりません。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="*",
            type=Path,
            metavar="FILE",
            help="取り込むファイル (.xlsx か .csv、2つまで)",
        )
        parser.add_argument("--office", help="区役所の URL名 (例: nakahara)")
        parser.add_argument(
            "--dry-run", action="store_true", help="確認して内容を表示するだけで、何も変更しません"
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="部署の一覧にない登録済みの部署を無効にします",
        )
        parser.add_argument(
            "--write-example",
            type=Path,
            metavar="PATH",
            help="記入例の Excel ファイル (シート「記入方法」「部署」「区分」) を PATH に書き出して終わります (--office は不要)",
        )

    def handle(
        self, *args, paths, office, dry_run, deactivate_missing, write_example=None, **options
    ):
        self.verbosity = options.get("verbosity", 1)
        if write_example is not None:
            return self._write_example(write_example)
        if office is None or not paths:
            raise CommandError("取り込むファイルと --office を指定してください。")
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(
                f"区役所「{office}」は登録されていません (create_office で登録します)。"
            )
        if len(paths) > 2:
            raise CommandError("ファイルは2つまでです (部署の一覧と区分の一覧)。")
        files = [self._read(path) for path in paths]
        try:
            tables = office_lists_read(files)
            if dry_run:
                plan = office_lists_plan(
                    office=office_obj, tables=tables, deactivate_missing=deactivate_missing
                )
            else:
                plan = office_lists_apply(
                    office=office_obj, tables=tables, deactivate_missing=deactivate_missing
                )
        except OfficeListsError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"{error}\n{lines}") from error
        self._print_plan(plan)
        if dry_run:
            self.stdout.write(f"[確認のみ・何も変更していません] 取り込むと: {plan.counts()}")
        else:
            self.stdout.write(self.style.SUCCESS(f"{office_obj}: {plan.done_message()}"))

    def _write_example(self, path):
        try:
            path.write_bytes(office_list_file("example.xlsx", office=None).content)
        except OSError as error:
            raise CommandError(f"{path}: 書き出せません: {error}") from error
        self.stdout.write(
            f"{path} に記入例を書き出しました。シート「部署」「区分」を書き換えてから取り込みます。"
        )

    def _read(self, path):
        try:
            with path.open("rb") as file:
                kind, data = read_upload(file, allowed={"csv", "xlsx"}, shift_jis=True)
        except OSError as error:
            raise CommandError(f"{path}: ファイルを読めません: {error}") from error
        except UploadRejected as error:
            raise CommandError(f"{path}: {error}") from error
        return SourceFile(name=path.name, kind=kind, data=data)

    def _print_plan(self, plan):
        """Every line but the unchanged ones (counted; listed with -v 2), as the page's preview."""
        lists = []
        if plan.departments is not None:
            lists.append(
                ("部署", [(line, f"{line.code} {line.name}") for line in plan.departments.lines])
            )
        if plan.categories is not None:
            lists.append(("区分", [(line, line.name) for line in plan.categories]))
        for title, lines in lists:
            self.stdout.write(f"{title}:")
            same = 0
            for line, name in lines:
                if line.action == Action.SAME and self.verbosity < 2:
                    same += 1
                    continue
                changes = "、".join(f"{c.label}: {c.before} → {c.after}" for c in line.changes)
                self.stdout.write(
                    f"  [{line.action}] {name}" + (f" ({changes})" if changes else "")
                )
            if same:
                self.stdout.write(f"  ({Action.SAME} {same})")
