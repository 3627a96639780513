"""Remind department editors of sheets still to submit as a phase's deadline comes near or passes."""

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from departments.models import Office
from goals import selectors
from goals.models import Phase, SheetStatus
from goals.notifications import sheet_url
from wardservice.mail import Message, mail_queue
from wardservice.models import MailKind, MailStatus


def _date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _when(deadline, today):
    days = (deadline - today).days
    if days > 0:
        return f"締切まであと{days}日"
    return "本日が締切です" if days == 0 else f"締切を{-days}日過ぎています"


def _person(user):
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


def _group_key(item):
    fiscal_year = item.sheet.fiscal_year
    return (fiscal_year.office.name, fiscal_year.year, item.phase, item.deadline)


def reminder_subject(items, today):
    """One (year, phase, deadline) names it in the subject; a mixture gets a general subject."""
    groups = {_group_key(item) for item in items}
    if len(groups) > 1:
        return "[区役所サービス向上目標] 未提出の目標シートがあります"
    item = items[0]
    overdue = item.deadline < today
    state = "を過ぎています" if overdue else "が近づいています"
    return f"[{item.sheet.fiscal_year.label}] {Phase(item.phase).label}の締切 ({_date(item.deadline)}){state}"


def reminder_body(user, items, today):
    """The mail to one editor: each year and phase with its deadline, then their departments' sheets."""
    lines = [
        f"{_person(user)} 様",
        "",
        "次の目標シートがまだ提出されていません。締切までに入力して提出してください。",
    ]
    for (office, _year, phase, deadline), group in groupby(items, key=_group_key):
        group = list(group)
        fiscal_year = group[0].sheet.fiscal_year
        lines += ["", f"■ {office} {fiscal_year.full_label} {Phase(phase).label}"]
        lines.append(f"  締切: {_date(deadline)} ({_when(deadline, today)})")
        for item in group:
            lines.append(f"  ・{item.sheet.department} ({SheetStatus(item.status).label})")
            lines.append(f"    {sheet_url(item.sheet)}")
    lines += ["", "このメールは区役所サービス向上目標システムから自動で送信しています。"]
    return "\n".join(lines)


def _office_of(items):
    """The office a reminder is about, when it is about one (shown to that office's 総務課)."""
    offices = {item.sheet.fiscal_year.office for item in items}
    return offices.pop() if len(offices) == 1 else None


class Command(BaseCommand):
    help = (
        "受付中の段階 (目標設定・実績報告) の締切が近い、または過ぎているのに提出されていない"
        "目標シート (未着手・下書き・差戻し) について、部署担当者に1人1通のメールで知らせます。"
        "実行するたびに送ります (cron で1日1回などの実行を想定)。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="締切まで何日以内なら知らせるか (既定: 7)。締切を過ぎたものは常に対象",
        )
        parser.add_argument(
            "--office", metavar="SLUG", help="この区役所 (URL名、例: nakahara) だけを対象にする"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="送信せず、送る予定の内容だけを表示する"
        )

    def handle(self, *args, days, office, dry_run, **options):
        if days < 0:
            raise CommandError("--days は0以上で指定してください。")
        if office and not Office.objects.filter(slug=office).exists():
            raise CommandError(f"区役所「{office}」はありません。")
        today = timezone.localdate()
        due = selectors.sheets_due(today=today, days=days, office_slug=office)
        by_editor = selectors.due_sheets_by_editor(due)
        self._report_unreachable(due, by_editor)
        planned = []
        for user, items in by_editor.items():
            message = Message(
                to=user.email, subject=reminder_subject(items, today), body=reminder_body(user, items, today)
            )
            planned.append((message, _office_of(items)))
            departments = "、".join(dict.fromkeys(str(item.sheet.department) for item in items))
            self.stdout.write(f"  {user.email}: {departments}")
        if dry_run:
            self.stdout.write(
                f"--dry-run: {len(planned)}通を送る予定です (送信していません)。未提出のシート {len(due)}件。"
            )
            return
        mails = [
            mail
            for message, office_ in planned
            for mail in mail_queue([message], kind=MailKind.REMINDER, office=office_)
        ]
        self._report(mails, due)

    def _report(self, mails, due):
        """Sent at once where tasks run at once; otherwise the worker sends them from the outbox."""
        for mail in mails:
            mail.refresh_from_db(fields=["status", "last_error"])
        sent = sum(mail.status == MailStatus.SENT for mail in mails)
        if sent == len(mails):
            self.stdout.write(self.style.SUCCESS(
                f"{sent}通のリマインダーを送信しました。未提出のシート {len(due)}件。"
            ))
            return
        for mail in mails:
            if mail.last_error:
                self.stderr.write(f"  送信できませんでした: {mail.to}: {mail.last_error}")
        self.stdout.write(self.style.SUCCESS(
            f"{len(mails)}通のリマインダーを送信待ちにしました (送信済 {sent}通、残りはワーカーが送信します)。"
            f"未提出のシート {len(due)}件。"
        ))

    def _report_unreachable(self, due, by_editor):
        """Sheets nobody can be told about: their department has no editor with an e-mail address."""
        reached = {id(item) for items in by_editor.values() for item in items}
        for item in due:
            if id(item) not in reached:
                self.stdout.write(
                    self.style.WARNING(
                        f"  担当者 (メールアドレスあり) がいません: {item.sheet.department}"
                    )
                )
