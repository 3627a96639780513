from django.core.management.base import BaseCommand, CommandError

from wardservice.backup import BackupError, backup_directory, create_backup, prune_backups


class Command(BaseCommand):
    help = (
        "データベースと保存ファイル (MEDIA_ROOT) を1つのバックアップファイル "
        "(wardservice-backup-YYYYmmdd-HHMMSS.tar.gz) に書き出します。"
        "書き出し先は --output、環境変数 BACKUP_DIR、既定はプロジェクトの backups/ です。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", metavar="PATH",
            help="書き出すファイル名 (.tar.gz) またはフォルダ (既定: BACKUP_DIR または backups/)",
        )
        parser.add_argument(
            "--keep-days", type=int, metavar="N",
            help="書き出したあと、同じフォルダの N 日より前のバックアップファイルを削除します",
        )

    def handle(self, *args, output, keep_days, **options):
        if keep_days is not None and keep_days < 1:
            raise CommandError("--keep-days は 1 以上を指定してください。")
        try:
            result = create_backup(output=output, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"バックアップを作成しました: {result.path} ({result.size:,} バイト)"
        ))
        if keep_days is not None:
            directory = result.path.parent if output else backup_directory()
            for path in prune_backups(directory, keep_days=keep_days, keep=result.path):
                self.stdout.write(f"古いバックアップを削除しました: {path.name}")
