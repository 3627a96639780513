from django.core.management.base import BaseCommand, CommandError

from departments.staff.services import staff_changes_apply_due
from wardservice.housekeeping import housekeeping


class Command(BaseCommand):
    help = (
        "たまる一方の記録を削除します: 期限切れのセッション、古いログイン記録 (django-axes)、"
        "終わったバックグラウンド処理の記録、送信済・失敗の通知メール、使われていない PDF の部品。"
        "何度実行しても同じ結果です (夜間に wardservice-housekeeping.timer が実行します)。"
        "その前に、異動日が来た人事異動を適用します (退職・転出した人はログインできなくなります)。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=90,
            help="ログイン記録・処理の記録・通知メールをこの日数より前のものから削除する (既定 90)",
        )
        parser.add_argument(
            "--pdf-parts-days", type=int, default=400,
            help="この日数使われていない PDF の部品を削除する (既定 400、prune_pdf_parts と同じ)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="削除する件数を表示するだけで、何も削除しません"
        )

    def handle(self, *args, days, pdf_parts_days, dry_run, **options):
        if days < 1 or pdf_parts_days < 1:
            raise CommandError("--days と --pdf-parts-days は1以上で指定してください。")
        prefix = "[確認のみ・何も削除していません] " if dry_run else ""
        # First, so that a leaver's sessions are gone before the sessions are tidied.
        applied = staff_changes_apply_due(dry_run=dry_run)
        done = "件を適用する予定です" if dry_run else "件を適用しました"
        self.stdout.write(f"{prefix}異動日が来た人事異動: {applied}{done}")
        for removed in housekeeping(days=days, pdf_parts_days=pdf_parts_days, dry_run=dry_run):
            if removed.count is None:  # a session store that cannot count
                done = "削除します" if dry_run else "削除しました"
                self.stdout.write(f"{prefix}{removed.what}: {done} (件数は数えられません)")
            else:
                done = "を削除する予定です" if dry_run else "を削除しました"
                self.stdout.write(f"{prefix}{removed.what}: {removed.count}件{done}")
