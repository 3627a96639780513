from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from wardservice.health import heartbeat_request
from wardservice.mail import mails_recover


class Command(BaseCommand):
    help = (
        "止まった処理を再開します: 作成処理が途中で止まった公表 (recover_publications と同じ)、"
        "再試行の時刻が来た通知メールの再送、ワーカーの応答確認 (ヘルスチェック用) の予約。"
        "何度実行しても同じ結果です。ワーカーの起動前と定期的 (5分ごと) に実行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="対象の一覧を表示するだけで、何も変更しません"
        )
        parser.add_argument(
            "--worker-starting",
            action="store_true",
            help=(
                "ワーカーの起動直前 (wardservice-worker の ExecStartPre) に指定します。作成中の公表を、"
                "10分待たずにすぐ作り直すよう予約します。ワーカーの動いている間には使わないでください"
            ),
        )

    def handle(self, *args, dry_run, worker_starting=False, **options):
        self.worker_starting = worker_starting
        steps = [("公表", self._publications), ("通知メール", self._mail)]
        if not dry_run:
            steps.append(("ワーカーの応答確認", self._heartbeat))
        failed = []
        for label, step in steps:
            # One step failing (say, the mail) must not keep the others from running.
            try:
                step(dry_run)
            except Exception as error:
                failed.append(label)
                self.stderr.write(f"{label}: 失敗しました: {type(error).__name__}: {error}")
        if failed:
            raise CommandError(f"失敗した処理があります: {'、'.join(failed)}")

    def _publications(self, dry_run):
        call_command(
            "recover_publications", dry_run=dry_run, worker_starting=self.worker_starting,
            stdout=self.stdout, stderr=self.stderr,
        )

    def _mail(self, dry_run):
        recovery = mails_recover(dry_run=dry_run)
        prefix = "[確認のみ・何も変更していません] " if dry_run else ""
        for mail in recovery.abandoned:
            self.stdout.write(f"{prefix}送信中のまま止まっていた通知メール: {mail.to} {mail.subject}")
        for mail in recovery.requeued:
            self.stdout.write(f"{prefix}通知メールを再送します ({mail.attempts + 1}回目): {mail.to} {mail.subject}")
        if not (recovery.abandoned or recovery.requeued):
            self.stdout.write(f"{prefix}再送が必要な通知メールはありません。")

    def _heartbeat(self, dry_run):
        if heartbeat_request():
            self.stdout.write("ワーカーの応答確認を予約しました。")
        else:
            self.stdout.write(self.style.WARNING(
                "前回予約したワーカーの応答確認がまだ実行されていません。db_worker が動いているか確認してください。"
            ))
