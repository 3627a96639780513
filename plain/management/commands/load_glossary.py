from django.core.management.base import BaseCommand, CommandError

from departments.models import Office
from plain.services import glossary_add_standard


class Command(BaseCommand):
    help = (
        "区役所の用語集に、標準の用語 (行政用語とやさしい言い方。plain/standard.py) のうち、まだないものを"
        "追加します。すでにある用語は変えません。何度実行しても同じ結果です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="区役所のURL名 (例: nakahara)")

    def handle(self, *args, office, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"区役所「{office}」はありません。URL名を確かめてください。")
        added = glossary_add_standard(office=office_obj)
        self.stdout.write(f"{office_obj.name}の用語集に、標準の用語を{added}語追加しました。")
