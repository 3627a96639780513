"""The world of the site walk (tests/browser/site_walk.py): years, sheets and people, each page
of the site in a state that matters.

The seed's 令和2年度 published (and a correction asked for, not yet made); 令和3年度 in 実績報告
(企画課's goals approved, a result typed); 令和4年度 in 目標設定 with a sheet in each state (未着手,
下書き, 提出済, 差戻し, 承認済, and one returned and submitted again with changes); a notice that
could not be sent. Everything through the services, as the pages would have done it.
"""

import datetime
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from departments.models import Role
from goals.models import Phase
from goals.services import (
    GoalInput,
    ResultInput,
    fiscal_year_open_next,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_return,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from reports.imports.workbook import build_entry_workbook
from plain.services import glossary_term_create
from reports.models import Publication, PublicationKind, ReadingEntry
from tests.factories import MembershipFactory
from tests.personas import CHIIKI, KIKAKU, KUMIN, SOUMU, member, seed_department
from tests.reports.import_helpers import seed_csv
from tests.reports.publishing import publish, use_tmp_media
from wardservice.models import MailKind, MailStatus, OutgoingMail

HOKEN = "区民サービス部 保険年金課"
SHOGAI = "まちづくり推進部 生涯学習支援課"
OFFICE = "nakahara"


def _plan(sheet, by, *objectives, tag=None):
    goals = [
        GoalInput(
            number=number,
            objective=objective,
            actions="課内会議で共有し、担当者が不在でも案内できるようにします。",
            categories=(tag,) if tag else (),
        )
        for number, objective in enumerate(objectives, start=1)
    ]
    return sheet_save_plan(sheet=sheet, goals=goals, expected_version=sheet.version, by=by)


def _submitted(sheet, by, *objectives, tag=None):
    sheet = _plan(sheet, by, *objectives, tag=tag)
    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=by)
    sheet.refresh_from_db()
    return sheet


def build_world(seed_year, settings, tmp_path):
    """The years, sheets and people of the walk; `urls` holds the addresses it visits."""
    use_tmp_media(settings, tmp_path)
    publish(seed_year)
    today = timezone.localdate()
    editor = member(KIKAKU, username="henshu", last_name="企画", first_name="花子")
    for name in (CHIIKI, KUMIN):
        MembershipFactory(user=editor, department=seed_department(name), role=Role.EDITOR)
    writer = member(HOKEN, username="hoken", last_name="保険", first_name="一郎")
    MembershipFactory(user=writer, department=seed_department(SHOGAI), role=Role.EDITOR)
    people = SimpleNamespace(
        editor=editor,
        writer=writer,
        soumu=member(SOUMU, username="soumu", last_name="総務", first_name="一美"),
        approver=member(SOUMU, Role.APPROVER, username="shonin", last_name="承認", first_name="花子"),
        viewer=member(KIKAKU, Role.VIEWER, username="etsuran", last_name="閲覧", first_name="見子"),
    )

    # 令和3年度: 企画課's goals approved, 実績報告 open, one result typed.
    y2021 = fiscal_year_open_next(previous=seed_year, plan_deadline=today + datetime.timedelta(days=7))
    kikaku_2021 = _submitted(
        y2021.sheets.get(department__name=KIKAKU),
        editor,
        "来庁者の用件を最初の応対で的確に把握し、迅速に案内します。",
        "区民から寄せられた意見・要望を関係課と共有します。",
    )
    sheet_approve(sheet=kikaku_2021, phase=Phase.PLAN, by=people.approver)
    fiscal_year_set_phase(fiscal_year=y2021, phase=Phase.PLAN, is_open=False)
    fiscal_year_set_phase(
        fiscal_year=y2021, phase=Phase.RESULT, is_open=True, deadline=today + datetime.timedelta(days=30)
    )
    kikaku_2021.refresh_from_db()
    sheet_save_results(
        sheet=kikaku_2021,
        results=[ResultInput(number=1, done="課内会議を毎月開催し、担当外の問い合わせにも案内できました。")],
        expected_version=kikaku_2021.version,
        by=editor,
    )

    # 令和4年度: 目標設定, a sheet in each state.
    y2022 = fiscal_year_open_next(previous=y2021, plan_deadline=today + datetime.timedelta(days=14))
    tag = y2022.categories.order_by("sort_order", "name").first()
    sheets = {sheet.department.name: sheet for sheet in y2022.sheets.select_related("department")}
    kikaku = _plan(sheets[KIKAKU], editor, "窓口の案内表示を見直し、来庁者が迷わないようにします。", "電話の問い合わせに丁寧に応対します。", tag=tag)
    kumin = _submitted(sheets[KUMIN], editor, "窓口の待ち時間を短くします。")
    sheet_return(sheet=kumin, phase=Phase.PLAN, by=people.approver, comment="目標1をより具体的にしてください。")
    _submitted(sheets[SOUMU], people.soumu, "庁舎内の掲示物を見やすく整理します。", tag=tag)
    hoken = _submitted(sheets[HOKEN], writer, "保険料の納付相談に丁寧に応じます。")
    sheet_approve(sheet=hoken, phase=Phase.PLAN, by=people.approver)
    shogai = _submitted(sheets[SHOGAI], writer, "講座の案内を分かりやすくします。", "窓口の待ち時間を短くします。")
    sheet_return(sheet=shogai, phase=Phase.PLAN, by=people.approver, comment="目標2の期限を書いてください。")
    shogai.refresh_from_db()
    _submitted(shogai, writer, "講座の案内を分かりやすくします。", "窓口の待ち時間を15分以内にします。")

    # 公表 of a correction asked for and not yet rendered (no worker runs it here): its progress page.
    Publication.objects.create(
        fiscal_year=seed_year, kind=PublicationKind.RESULT, version=2, published_by=people.approver, note="誤字の訂正"
    )

    # A word of the office's glossary (やさしい日本語) and of its ふりがなの辞書.
    term = glossary_term_create(office=y2022.office, term="窓口", plain="受付", by=people.approver)
    reading = ReadingEntry.objects.create(office=y2022.office, word="中原区", reading="なかはらく")

    OutgoingMail.objects.create(
        office=y2022.office,
        kind=MailKind.NOTIFICATION,
        to="hoken@example.jp",
        subject="[令和4年度] 目標が承認されました",
        body="",
        status=MailStatus.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )

    def sheet(name, year=2022, view="goals:sheet", **extra):
        code = seed_department(name).code
        return reverse(view, kwargs={"office": OFFICE, "year": year, "code": code, **extra})

    def year_url(view, year, **extra):
        return reverse(view, kwargs={"office": OFFICE, "year": year, **extra})

    urls = {
        "sheet_draft": sheet(KIKAKU),
        "sheet_returned": sheet(KUMIN),
        "sheet_results": sheet(KIKAKU, 2021),
        "sheet_submitted": sheet(SOUMU),
        "plan_empty": sheet(CHIIKI, view="goals:plan_edit"),
        "plan_draft": sheet(KIKAKU, view="goals:plan_edit"),
        "plan_returned": sheet(KUMIN, view="goals:plan_edit"),
        "results_draft": sheet(KIKAKU, 2021, view="goals:results_edit"),
        "submit": sheet(KIKAKU, view="goals:submit", phase="plan"),
        "changes_returned": sheet(KUMIN, view="goals:changes", phase="plan"),
        "changes_resubmitted": sheet(SHOGAI, view="goals:changes", phase="plan"),
        "approve": sheet(SOUMU, view="goals:approve", phase="plan"),
        "return": sheet(SOUMU, view="goals:return", phase="plan"),
        "reopen": sheet(HOKEN, view="goals:reopen", phase="plan"),
        "entry_upload": sheet(KIKAKU, view="publishing:entry_upload"),
        "dashboard_plan": year_url("goals:dashboard", 2022),
        "dashboard_results": year_url("goals:dashboard", 2021),
        "years": reverse("goals:years", kwargs={"office": OFFICE}),
        "mail": reverse("goals:undelivered_mail", kwargs={"office": OFFICE}),
        "publish_done": year_url("publishing:overview", 2020),
        "publish_waiting": year_url("publishing:overview", 2022),
        # Its version 2 still waiting, so the confirmation says why 公表 cannot be done now.
        "publish_blocked": year_url("publishing:publish", 2020, kind="result"),
        "progress": year_url("publishing:progress", 2020, version=1),
        "progress_pending": year_url("publishing:progress", 2020, version=2),
        "import_table": year_url("publishing:import_table", 2019),
        "import_published": year_url("publishing:import_published", 2019),
        "max_goals": year_url("goals:max_goals", 2022),
        "timeliness": year_url("publishing:timeliness", 2021),
        "people": reverse("departments:people", kwargs={"office": OFFICE}),
        "person_new": reverse("departments:person_new", kwargs={"office": OFFICE}),
        "person": reverse("departments:person", kwargs={"office": OFFICE, "pk": editor.pk}),
        "person_leave": reverse("departments:person_leave", kwargs={"office": OFFICE, "pk": editor.pk}),
        "staff_changes": reverse("departments:staff_changes", kwargs={"office": OFFICE}),
        "transfers": reverse("departments:transfers", kwargs={"office": OFFICE}),
        "setup_import": reverse("departments:setup_import", kwargs={"office": OFFICE}),
        "glossary": reverse("plain:glossary", kwargs={"office": OFFICE}),
        "term_new": reverse("plain:term_new", kwargs={"office": OFFICE}),
        "term_edit": reverse("plain:term_edit", kwargs={"office": OFFICE, "pk": term.pk}),
        "term_delete": reverse("plain:term_delete", kwargs={"office": OFFICE, "pk": term.pk}),
        "furigana": reverse("furigana:dictionary", kwargs={"office": OFFICE}),
        "reading_new": reverse("furigana:entry_new", kwargs={"office": OFFICE}),
        "reading_edit": reverse("furigana:entry_edit", kwargs={"office": OFFICE, "pk": reading.pk}),
        "reading_delete": reverse("furigana:entry_delete", kwargs={"office": OFFICE, "pk": reading.pk}),
        "year_page": year_url("reports:year", 2020),
        "version_page": year_url("reports:version", 2020, version=1),
        "stats": year_url("reports:stats", 2020),
    }
    return SimpleNamespace(
        people=people,
        urls=urls,
        entry_workbook=build_entry_workbook(kikaku),
        seed_csv=seed_csv(seed_year, 2019),
    )
