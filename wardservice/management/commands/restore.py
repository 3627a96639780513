from django.core.management.base import BaseCommand, CommandError

from wardservice.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "backup で作成したファイルから、データベースと保存ファイル (MEDIA_ROOT) を復元します。"
        "先にすべてのチェックサムを検査し、壊れたファイルでは何も変更しません。"
        "データのあるデータベースへは --force を付けたときだけ上書きします。"
        "復元の前に gunicorn と db_worker を止めてください。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="バックアップファイル (wardservice-backup-….tar.gz)")
        parser.add_argument(
            "--force", action="store_true",
            help="復元先のデータベース・MEDIA_ROOT にあるデータを上書きします "
            "(バックアップにないファイルは削除します)",
        )

    def handle(self, *args, archive, force, **options):
        try:
            result = restore_backup(archive, force=force, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for name in result.removed_files:
            self.stdout.write(f"バックアップにないファイルを削除しました: {name}")
        self.stdout.write(self.style.SUCCESS(
            f"復元しました: {result.manifest['created_at']} のバックアップ "
            f"(保存ファイル {result.media_files} 件)"
        ))
        if result.unapplied_migrations:
            self.stdout.write(self.style.WARNING(
                "このバックアップのあとに追加されたマイグレーションがあります。"
                "`python manage.py migrate` を実行してください: " + ", ".join(result.unapplied_migrations)
            ))
