import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from departments.models import Office
from goals.models import FiscalYear
from goals.services import GoalsError, fiscal_year_open_first, fiscal_year_open_next
from goals.wareki import fiscal_year_full_label


class Command(BaseCommand):
    help = (
        "年度を開始します (年度の管理ページの「開始する」と同じ)。区役所に年度がなければ最初の年度として、"
        "区分と、目標シートを作成する有効な部署で開始します (方針・達成度評価の段階は指定したもの)。"
        "年度があれば、最新の年度の翌年度だけを、その年度から引き継いで開始します。どちらも目標設定の受付中になります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="区役所の URL名 (例: nakahara)")
        parser.add_argument("--year", required=True, type=int, help="開始する年度 (西暦、例: 2026)")
        parser.add_argument(
            "--plan-deadline",
            type=datetime.date.fromisoformat,
            help="目標設定の締切日 (例: 2026-05-31)",
        )
        parser.add_argument(
            "--policy",
            type=Path,
            help="最初の年度の区役所サービス向上方針 (UTF-8 のテキスト、1行に1項目)",
        )
        parser.add_argument(
            "--rating",
            action="append",
            default=[],
            metavar="LABEL",
            help="最初の年度の達成度評価の段階 (高い順に繰り返し指定、例: --rating 達成 --rating 未達成)",
        )
        parser.add_argument(
            "--max-goals", type=int, help="最初の年度の、1シートあたりの目標数の上限 (既定: 3)"
        )

    def handle(self, *args, office, year, plan_deadline, policy, rating, max_goals, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(
                f"区役所「{office}」は登録されていません (create_office で登録します)。"
            )
        newest = FiscalYear.objects.filter(office=office_obj).order_by("-year").first()
        try:
            if newest is None:
                opened = fiscal_year_open_first(
                    office=office_obj,
                    year=year,
                    principles=_principles(policy),
                    rating_labels=tuple(label.strip() for label in rating if label.strip()),
                    max_goals=max_goals,
                    plan_deadline=plan_deadline,
                )
            elif policy or rating or max_goals:
                raise CommandError(
                    "--policy・--rating・--max-goals は最初の年度だけに指定します (翌年度は前年度から引き継ぎます)。"
                )
            elif year != newest.year + 1:
                raise CommandError(
                    f"{office_obj}の最新の年度は{newest.full_label}です。開始できるのは{fiscal_year_full_label(newest.year + 1)}だけです。"
                )
            else:
                opened = fiscal_year_open_next(previous=newest, plan_deadline=plan_deadline)
        except GoalsError as error:
            raise CommandError(str(error)) from error
        except (
            ValidationError
        ) as error:  # a year out of range, a label too long, a refused character
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{office_obj}: {opened.full_label}を開始しました (目標シート {opened.sheets.count()}、目標設定の受付中)。"
            )
        )


def _principles(path):
    if path is None:
        return ()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: UTF-8 のテキストとして読めません: {error}") from error
    return tuple(line.strip() for line in text.splitlines() if line.strip())
