from django.core.management.base import BaseCommand, CommandError

from reports.furigana.services import (
    publication_readings_make,
    publication_readings_remove,
    publications_without_readings,
)
from reports.models import Publication, PublicationStatus


class Command(BaseCommand):
    help = (
        "公表済みの版のうち、ふりがな (読み方を付けたページと検索用の読み) のない版について、"
        "ふりがなを作って保存します。ふりがなの機能より前に公表した版に一度だけ実行します。何度実行しても同じ結果です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", help="この区役所 (スラッグ) の版だけを対象にします")
        parser.add_argument("--year", type=int, help="この年度 (西暦) の版だけを対象にします")
        parser.add_argument(
            "--again",
            action="store_true",
            help="ふりがなのある版も作り直します (ふりがなの辞書を直した後に、公表済みの版へ反映するとき)",
        )

    def handle(self, *args, office=None, year=None, again=False, **options):
        if again:
            targets = Publication.objects.filter(status=PublicationStatus.PUBLISHED)
        else:
            targets = publications_without_readings()
        if office:
            targets = targets.filter(fiscal_year__office__slug=office)
        if year:
            targets = targets.filter(fiscal_year__year=year)
        targets = list(targets.select_related("fiscal_year__office").defer("table").order_by("published_at", "pk"))
        if (office or year) and not targets and not Publication.objects.filter(
            status=PublicationStatus.PUBLISHED,
            **({"fiscal_year__office__slug": office} if office else {}),
            **({"fiscal_year__year": year} if year else {}),
        ).exists():
            raise CommandError("指定した区役所・年度に公表済みの版はありません。")
        made = 0
        for publication in targets:
            if again:
                publication_readings_remove(publication)
            if publication_readings_make(publication) is not None:
                made += 1
                self.stdout.write(f"{publication}: ふりがなを作りました")
            else:
                self.stderr.write(f"{publication}: 公表したページが見つからないため、作れませんでした")
        if not targets:
            self.stdout.write("ふりがなのない公表済みの版はありません。")
        else:
            self.stdout.write(self.style.SUCCESS(f"ふりがなを作った版: {made}件"))
