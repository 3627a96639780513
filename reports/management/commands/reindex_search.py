"""Fold every published row's text again and rebuild its search grams (reports.search.index)."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from reports.models import PublishedGoal
from reports.search.index import reindex


class Command(BaseCommand):
    help = (
        "公表された目標の検索用の文字列と索引を作り直す。"
        "異体字の表 (reports/search/folding.py) を変えたあとに実行する。"
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            read, written = reindex(PublishedGoal, connection)
        self.stdout.write(f"公表された目標 {read} 件を調べ、{written} 件の検索用の索引を作り直しました。")
