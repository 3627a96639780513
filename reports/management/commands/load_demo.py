import tomllib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from departments.models import Department, Membership, Office, StaffProfile
from goals.models import FiscalYear
from goals.services import fiscal_year_open_next
from reports.furigana.seed import reading_entries_seed
from reports.models import PublicationKind, PublicationStatus
from reports.selectors import unfinished_publication
from reports.publishing.services import publication_request, publication_retry

DEMO_FILE = settings.BASE_DIR / "fixtures" / "demo.toml"


class Command(BaseCommand):
    help = "デモ用データ (中原区 令和2年度の公表表、令和3年度、架空のデモ利用者) を読み込みます。何度実行しても同じ結果です。"

    def handle(self, *args, **options):
        if not (settings.DEBUG or getattr(settings, "TESTING", False)):
            raise CommandError("デモデータは DEBUG=1 の開発環境でのみ読み込めます。")
        demo = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
        office, _ = Office.objects.update_or_create(slug=demo["office"]["slug"], defaults=demo["office"])
        reading_entries_seed(office)  # ふりがなの辞書, before 公表 reads with it
        table = demo["table"]
        call_command(
            "import_published_table",
            str(DEMO_FILE.parent / table["path"]),
            office=office.slug,
            year=table["year"],
            stdout=self.stdout,
        )
        self._publish(office, table["year"])
        self._open_next_year(office, table["year"], demo["next_year"])
        self._users(office, demo["users"], demo["password"])
        # The standard glossary of the writing aid (plain.standard): 遵守→守る, 周知→広く知らせる, …
        call_command("load_glossary", office=office.slug, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"デモデータを読み込みました (パスワード: {demo['password']})"))

    def _publish(self, office, year):
        """公表 of the imported year's full table, as an approver would; once only.

        In development the task runs at once (ImmediateBackend), so the year is public when
        this returns. A version left unfinished (pending or failed) is retried, not duplicated.
        """
        fiscal_year = FiscalYear.objects.get(office=office, year=year)
        kind = PublicationKind.RESULT
        if fiscal_year.publications.filter(kind=kind, status=PublicationStatus.PUBLISHED).exists():
            return
        unfinished = unfinished_publication(fiscal_year, kind)
        if unfinished is None:
            publication = publication_request(fiscal_year=fiscal_year, kind=kind, by=None)
        elif unfinished.can_retry:
            publication = publication_retry(publication=unfinished)
        else:
            return  # still being rendered
        publication.refresh_from_db(fields=["status"])
        self.stdout.write(f"{publication}: {publication.get_status_display()}")

    def _open_next_year(self, office, year, spec):
        if FiscalYear.objects.filter(office=office, year=spec["year"]).exists():
            return
        previous = FiscalYear.objects.get(office=office, year=year)
        copy = Department.objects.filter(office=office)
        if spec["copy_goals_for"] != "all":  # else a list of department names
            copy = copy.filter(name__in=spec["copy_goals_for"])
        fiscal_year_open_next(previous=previous, copy_goals_for=list(copy))

    @transaction.atomic
    def _users(self, office, users, password):
        User = get_user_model()
        for spec in users:
            user, created = User.objects.get_or_create(username=spec["username"])
            user.last_name, user.first_name = spec["last_name"], spec["first_name"]
            user.email = f"{spec['username']}@example.jp"
            user.is_staff = user.is_superuser = spec.get("superuser", False)
            if created:
                user.set_password(password)
            user.save()
            for department_name, role in spec["memberships"]:
                department = Department.objects.get(office=office, name=department_name)
                Membership.objects.update_or_create(user=user, department=department, defaults={"role": role})
            if spec.get("employee_number"):  # 職員番号: how a 人事異動 file names the person
                StaffProfile.objects.update_or_create(
                    user=user, defaults={"office": office, "employee_number": spec["employee_number"]}
                )
