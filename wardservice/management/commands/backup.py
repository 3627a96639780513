from django.core.management.base import BaseCommand, CommandError

from wardservice.backup import (
    BackupError,
    backup_directory,
    create_backup,
    prune_backups,
    verify_backup,
)


class Command(BaseCommand):
    help = (
        "データベースと保存ファイル (MEDIA_ROOT) を1つのバックアップファイル "
        "(wardservice-backup-YYYYmmdd-HHMMSS.tar.gz) に書き出します。"
        "書き出し先は --output、環境変数 BACKUP_DIR、既定はプロジェクトの backups/ です。"
        "--verify ARCHIVE は、作成済みのファイルが復元できるかを、復元せずに検査します。"
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
        parser.add_argument(
            "--verify", metavar="ARCHIVE",
            help="バックアップを作らず、このファイルを検査します: 全ファイルのチェックサム (作成時に manifest.json "
            "に記録したもの)、途中で切れていないこと、データベースのダンプを読めること。"
            "いまのデータベース・MEDIA_ROOT には触れません",
        )

    def handle(self, *args, output, keep_days, verify=None, **options):
        if verify is not None:
            if output is not None or keep_days is not None:
                raise CommandError("--verify は --output・--keep-days と一緒には指定できません。")
            return self._verify(verify)
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

    def _verify(self, archive):
        try:
            result = verify_backup(archive, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"検査に合格しました: {archive} ({result.manifest['created_at']} 作成、{result.members} ファイル)"
        ))
