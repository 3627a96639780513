from django.core.management.base import BaseCommand

from reports.furigana.services import readings_recover
from reports.publishing.recovery import Action, publications_recover

DONE = {
    Action.RETRY: "公表待ちに戻して作成処理を予約しました",
    Action.ENQUEUE: "作成処理を予約しました",
    Action.WAITING: "作成処理を待っています (何もしていません)",
    Action.FAILED: "何もしていません",
    Action.SKIPPED: "何もしていません",
}
PLANNED = {
    Action.RETRY: "公表待ちに戻して作成処理を予約します",
    Action.ENQUEUE: "作成処理を予約します",
    Action.WAITING: "作成処理を待っています",
    Action.FAILED: "自動では再試行しません",
}


class Command(BaseCommand):
    help = (
        "作成処理が途中で止まった公表 (作成中のまま進まない版、作成処理が予約されていない公表待ちの版) を、"
        "同じ内容のまま作り直すよう予約します。何度実行しても同じ結果です。ワーカーの起動前と定期的 (5分ごと) に実行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="対象の一覧を表示するだけで、何も変更しません"
        )
        parser.add_argument(
            "--worker-starting",
            action="store_true",
            help=(
                "ワーカーの起動直前に実行するときに指定します (ワーカーは 1 つだけの前提)。作成中の版を、"
                "10分待たずにすぐ作り直すよう予約します。ワーカーの動いている間には使わないでください"
            ),
        )

    def handle(self, *args, dry_run, worker_starting=False, **options):
        recoveries = publications_recover(dry_run=dry_run, worker_starting=worker_starting)
        prefix = "[確認のみ・何も変更していません] " if dry_run else ""
        outcome = PLANNED if dry_run else DONE
        for recovery in recoveries:
            publication = recovery.publication
            line = f"{prefix}{publication}: {recovery.reason} → {outcome[recovery.action]}"
            if recovery.changes_something:
                if not dry_run:
                    line += f" (現在の状態: {publication.get_status_display()})"
                self.stdout.write(line)
            else:
                self.stderr.write(line)
        changed = sum(recovery.changes_something for recovery in recoveries)
        if not recoveries:
            self.stdout.write(f"{prefix}復旧が必要な公表処理はありません。")
        elif dry_run:
            self.stdout.write(f"{prefix}予約し直す版: {changed}件")
        else:
            self.stdout.write(self.style.SUCCESS(f"予約し直した版: {changed}件"))
        # ふりがな that a published version is missing (reports.furigana.services).
        for publication, made in readings_recover(dry_run=dry_run):
            if dry_run:
                self.stdout.write(f"{prefix}{publication}: ふりがながありません → 作ります")
            elif made:
                self.stdout.write(f"{publication}: ふりがなを作りました")
            else:
                self.stderr.write(f"{publication}: ふりがなを作れませんでした (ログを確認してください)")
