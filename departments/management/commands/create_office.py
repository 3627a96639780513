from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from departments.models import Office


class Command(BaseCommand):
    help = (
        "区役所を登録します (最初の設置のとき。管理画面の「区役所」の追加と同じ)。"
        "同じ URL名の区役所が同じ内容で登録済みなら、何も変えません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="名称 (例: 中原区役所)")
        parser.add_argument(
            "--slug", required=True, help="URL名: 半角英数字とハイフン (例: nakahara)"
        )
        parser.add_argument(
            "--municipality-name", required=True, help="市区町村名 (例: 川崎市中原区)"
        )
        parser.add_argument(
            "--municipality-code", required=True, help="全国地方公共団体コード 6桁 (例: 141330)"
        )

    def handle(self, *args, name, slug, municipality_name, municipality_code, **options):
        wanted = {
            "name": name,
            "municipality_name": municipality_name,
            "municipality_code": municipality_code,
        }
        existing = Office.objects.filter(slug=slug).first()
        if existing is not None:
            differs = [
                f"{Office._meta.get_field(field).verbose_name}: {getattr(existing, field)}"
                for field, value in wanted.items()
                if getattr(existing, field) != value
            ]
            if differs:
                raise CommandError(
                    f"URL名「{slug}」の区役所は、別の内容で登録済みです ({'、'.join(differs)})。変えるときは管理画面で変更してください。"
                )
            self.stdout.write(f"{existing} ({slug}) は登録済みです。何も変えていません。")
            return
        office = Office(slug=slug, **wanted)
        try:
            office.full_clean()
        except ValidationError as error:
            problems = "\n".join(
                f"  {_label(field)}: {' '.join(messages)}"
                for field, messages in error.message_dict.items()
            )
            raise CommandError(f"区役所を登録できません:\n{problems}") from error
        office.save()
        self.stdout.write(self.style.SUCCESS(f"{office} ({slug}) を登録しました。"))


def _label(field):
    names = {
        f.name: f.verbose_name for f in Office._meta.get_fields() if hasattr(f, "verbose_name")
    }
    return names.get(field, "区役所")
