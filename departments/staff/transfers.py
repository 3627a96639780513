"""人事異動 from a file: read (CSV or Excel), checked row by row into a plan, confirmed at once.

The file (one row per person; the header names the columns, in any order):

  職員番号  the person (their StaffProfile in this office); required
  氏名      「企画 進」 (family name, a space, given name); required for a new person, else
            blank to keep the name on record
  メール    blank to keep (or, for a new person, to have none)
  部署コード the department(s) from 異動日: one code, or several separated by 「,」「、」「・」
            (兼務), all in the role of 役割; blank in a 退職・転出 row
  役割      部署担当者 (or 担当者), 承認者, 閲覧者 — or 退職 / 転出 to leave the office
  異動日    the day the change takes effect: 2025-04-01, 2025/4/1, 2025年4月1日, 令和7年4月1日;
            for a leaver, the first day they can no longer log in
  アカウント名 (optional) a new person's account name; without it, their 職員番号

A row is a person's whole membership in the office from that day: departments not in it are
left. People not in the file are not touched. Extra columns (所属名, 備考 …) are read past.

Every row is checked before anything is written (unknown 部署コード or 役割, a 職員番号 twice,
a bad date, the text policy, an office left without an approver); with a single problem nothing
is saved. On 確定 the rows are checked again against the staff as they are then and written in
one transaction: changes dated today or earlier at once, later ones recorded for their date
(departments.staff.services).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from departments.models import (
    EMPLOYEE_NUMBER_MAX,
    Department,
    Membership,
    Role,
    StaffChange,
    StaffChangeKind,
    StaffProfile,
    TransferUpload,
    validate_employee_number,
)
from departments.staff import rules
from departments.staff.dates import parse_day
from departments.staff.forms import NAME_MAX, normalise_employee_number
from departments.staff.services import StaffError, japanese_date, staff_change_record_checked
from wardservice import tabular, text

NUMBER, NAME, MAIL, CODES, ROLE, DATE, ACCOUNT = (
    "職員番号", "氏名", "メール", "部署コード", "役割", "異動日", "アカウント名",
)
REQUIRED_COLUMNS = (NUMBER, NAME, MAIL, CODES, ROLE, DATE)
COLUMNS = (*REQUIRED_COLUMNS, ACCOUNT)
MAX_ROWS = 3000
ACCOUNT_MAX = 150  # django.contrib.auth's username
MAIL_MAX = 254  # and email
MAX_DAYS_AWAY = 366
PREFERRED_SHEET = "人事異動"

ROLE_WORDS = {
    "部署担当者": Role.EDITOR, "担当者": Role.EDITOR, "editor": Role.EDITOR,
    "承認者": Role.APPROVER, "approver": Role.APPROVER,
    "閲覧者": Role.VIEWER, "viewer": Role.VIEWER,
}
LEAVE_WORDS = {"退職": StaffChangeKind.RETIRE, "転出": StaffChangeKind.TRANSFER_OUT}
ROLE_HELP = "部署担当者・承認者・閲覧者、または退職・転出"


class Kind:
    """What a row does, as the preview names it."""

    NEW, RETURN, MOVED, ROLE, RETIRE, OUT, UNCHANGED = (
        "new", "return", "moved", "role", "retire", "out", "unchanged",
    )
    LABELS = {
        NEW: "新規", RETURN: "復帰", MOVED: "異動", ROLE: "役割の変更",
        RETIRE: "退職", OUT: "転出", UNCHANGED: "変更なし",
    }


@dataclass(frozen=True)
class Problem:
    row: int  # as the file numbers it, the header being row 1; 0 for the whole file
    column: str
    message: str


class TransferFileError(Exception):
    def __init__(self, problems):
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass
class PlannedRow:
    row: int
    number: str
    kind: str
    effective_on: date
    user: object = None  # None: a new person
    last_name: str | None = None  # None: keep
    first_name: str | None = None
    email: str | None = None
    username: str = ""
    leave: str = ""  # a StaffChangeKind for 退職・転出
    assignments: list = field(default_factory=list)  # [(Department, role)]
    before: str = ""
    notes: list = field(default_factory=list)

    @property
    def label(self):
        return Kind.LABELS[self.kind]

    @property
    def name(self):
        if self.last_name is not None:
            return f"{self.last_name} {self.first_name}".strip()
        return f"{self.user.last_name} {self.user.first_name}".strip() or self.user.username

    @property
    def after(self):
        if self.leave:
            return StaffChangeKind(self.leave).label
        return describe(self.assignments)

    def is_due(self, today):
        return self.effective_on <= today


@dataclass
class TransferPlan:
    rows: list
    problems: list
    today: date

    def counts(self):
        counts = dict.fromkeys(Kind.LABELS, 0)
        for row in self.rows:
            counts[row.kind] += 1
        return [(Kind.LABELS[kind], count) for kind, count in counts.items() if count]

    @property
    def scheduled(self):
        return sum(1 for row in self.rows if row.kind != Kind.UNCHANGED and not row.is_due(self.today))


def describe(assignments) -> str:
    """「まちづくり推進部 企画課 (部署担当者)、…」 for [(department, role)]."""
    return "、".join(f"{department.name} ({Role(role).label})" for department, role in assignments) or "なし"


# --- reading ------------------------------------------------------------------------------------


def read_transfer_file(data: bytes, *, kind: str):
    """([{"row": n, "values": {column: text}}], columns read past) of a checked upload
    (wardservice.uploads.read_upload with shift_jis=True), read by wardservice.tabular: a CSV
    file, or the workbook's sheet 「人事異動」 (else its first sheet), whose formulas give the
    values Excel shows and whose dates are 異動日. TransferFileError for the file's own
    problems: encoding, no header, missing or repeated columns, too many rows."""
    try:
        if kind == "xlsx":
            with tabular.open_workbook(data, computed=True) as workbook:
                names = tabular.sheets_named(workbook, [PREFERRED_SHEET], first_otherwise=True)
                records = tabular.sheet_records(
                    workbook[names[0]], max_columns=None, dates=True, computed=True
                )
                return _transfer_rows(records)
        return _transfer_rows(iter(tabular.csv_records(data, max_columns=None)))
    except tabular.Unreadable as error:
        raise TransferFileError([Problem(error.line, "", error.message)]) from None


def _transfer_rows(records):
    header = next(records, None)
    if header is None:
        raise TransferFileError([Problem(0, "", "ファイルが空です。")])
    columns, ignored = _check_header(header)
    rows = []
    for number, record in enumerate(records, 2):
        values = [_cell_text(value) for value in record]
        if not any(value.strip() for value in values):
            continue
        rows.append({"row": number, "values": {
            name: values[index] if index < len(values) else "" for index, name in columns.items()
        }})
        if len(rows) > MAX_ROWS:
            raise TransferFileError([Problem(0, "", f"行が多すぎます ({MAX_ROWS:,} 行まで)。ファイルを分けてください。")])
    if not rows:
        raise TransferFileError([Problem(0, "", "見出しの下に人事異動の行がありません。")])
    return rows, ignored


def _cell_text(value) -> str:
    """A cell as text: Excel's dates as 2025-04-01, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_name(value) -> str:
    return re.sub(r"\s+", "", tabular.heading_text(_cell_text(value)))


def _check_header(header):
    columns, ignored, problems = {}, [], []
    for index, value in enumerate(header):
        name = _header_name(value)
        if name in COLUMNS:
            if name in columns.values():
                problems.append(Problem(1, name, f"見出し「{name}」の列が2つあります。1つにしてください。"))
            columns[index] = name
        elif name:
            ignored.append(text.as_one_line(name)[:50])
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        problems.append(Problem(
            1, "", f"1行目に見出し「{'」「'.join(missing)}」の列がありません。"
            f"見出しは {'・'.join(REQUIRED_COLUMNS)} (とアカウント名) です。",
        ))
    if problems:
        raise TransferFileError(problems)
    return columns, ignored


# --- checking -----------------------------------------------------------------------------------


def check_transfers(*, office, rows, actor=None, today=None) -> TransferPlan:
    """The plan of `rows` (as read_transfer_file gives them) for `office`, with every problem.

    Reads the office's departments, staff and their memberships in a constant number of
    queries; writes nothing.
    """
    today = today or timezone.localdate()
    context = _Context.load(office, rows, today)
    plan = TransferPlan(rows=[], problems=[], today=today)
    for raw in rows:
        planned = _check_row(context, raw["row"], raw["values"], plan.problems)
        if planned is not None:
            plan.rows.append(planned)
    if not plan.problems:
        outcome = {}
        for index, planned in enumerate(plan.rows):
            if planned.kind != Kind.UNCHANGED:
                key = planned.user.pk if planned.user else -(index + 1)
                outcome[key] = {role for _department, role in planned.assignments}
        problem = rules.approvers_left_problem(office=office, outcome=outcome, actor=actor)
        if problem:
            plan.problems.append(Problem(0, "", problem))
    return plan


@dataclass
class _Context:
    office: object
    today: date
    departments: dict
    profiles: dict
    elsewhere: dict
    memberships: dict
    pending: dict
    usernames: set
    seen: dict = field(default_factory=dict)
    departments_by_value: dict = field(default_factory=dict)
    profiles_by_value: dict = field(default_factory=dict)

    def __post_init__(self):
        self.departments_by_value = _by_value(self.departments)
        self.profiles_by_value = _by_value(self.profiles)

    @classmethod
    def load(cls, office, rows, today):
        numbers = {normalise_employee_number(r["values"].get(NUMBER)) for r in rows} - {""}
        profiles = {
            p.employee_number: p
            for p in StaffProfile.objects.filter(office=office).exclude(employee_number="").select_related("user")
        }
        memberships, pending = {}, {}
        for m in Membership.objects.filter(department__office=office).select_related("department"):
            memberships.setdefault(m.user_id, []).append(m)
        for change in StaffChange.objects.filter(
            office=office, applied_at__isnull=True, cancelled_at__isnull=True
        ):
            pending.setdefault(change.user_id, []).append(change)
        candidates = {_account(r["values"]) or normalise_employee_number(r["values"].get(NUMBER)) for r in rows}
        taken = get_user_model().objects.annotate(lowered=Lower("username")).filter(
            lowered__in=[name.lower() for name in candidates if name]
        )
        return cls(
            office=office,
            today=today,
            departments={d.code: d for d in Department.objects.filter(office=office)},
            profiles=profiles,
            elsewhere={
                p.employee_number: p.office
                for p in StaffProfile.objects.filter(employee_number__in=numbers)
                .exclude(office=office)
                .select_related("office")
            },
            memberships=memberships,
            pending=pending,
            usernames={user.lowered for user in taken},
        )

    def department(self, code):
        """The department of a code as typed; Excel drops leading zeros (001 → 1), so a code of
        digits alone also finds the one department whose code is that number."""
        return _exact_or_by_value(self.departments, self.departments_by_value, code)

    def profile(self, number):
        """The person of a 職員番号, with the same allowance for lost leading zeros."""
        return _exact_or_by_value(self.profiles, self.profiles_by_value, number)


def _number(key) -> bool:
    """A key of ASCII digits alone, short enough to be a code (int() refuses "²" and huge ones)."""
    return key.isascii() and key.isdigit() and len(key) <= 30


def _by_value(items: dict) -> dict:
    """{int value: [item]} of the items whose key is digits alone."""
    index = {}
    for key, item in items.items():
        if _number(key):
            index.setdefault(int(key), []).append(item)
    return index


def _exact_or_by_value(by_key, by_value, key):
    found = by_key.get(key)
    if found is None and _number(key):
        matches = by_value.get(int(key), [])
        found = matches[0] if len(matches) == 1 else None
    return found


def _account(values):
    return unicodedata.normalize("NFKC", values.get(ACCOUNT) or "").strip()


def _check_row(context, number, values, problems):
    found = []

    def problem(column, message):
        found.append(Problem(number, column, message))

    for column in COLUMNS:
        refused = text.text_problem(values.get(column) or "", one_line=True)
        if refused:
            problem(column, refused[0])
    if found:
        problems.extend(found)
        return None
    employee = _employee_number(context, number, values, problem)
    effective_on = _effective_on(values.get(DATE), context.today, problem)
    role, leave = _role(values.get(ROLE), problem)
    assignments = [] if leave else _departments(context, values.get(CODES), role, problem)
    profile = context.profile(employee) if employee else None
    if employee and profile is None and employee in context.elsewhere:
        problem(NUMBER, f"職員番号 {employee} は{context.elsewhere[employee].name}の職員として登録されています。"
                "区役所をまたぐ異動は、システム管理者に依頼してください。")
    planned = PlannedRow(row=number, number=employee, kind=Kind.UNCHANGED, effective_on=effective_on,
                         leave=leave, assignments=assignments)
    _person(context, planned, profile, values, problem)
    problems.extend(found)
    if found:
        return None
    _classify(context, planned, profile)
    return planned


def _employee_number(context, number, values, problem):
    employee = normalise_employee_number(values.get(NUMBER))
    if not employee:
        problem(NUMBER, "職員番号を入力してください。")
        return ""
    try:
        validate_employee_number(employee)
    except ValidationError:
        problem(NUMBER, f"職員番号「{employee[:30]}」は使えません。半角の英数字とハイフンで{EMPLOYEE_NUMBER_MAX}文字以内にしてください。")
        return ""
    if employee in context.seen:
        problem(NUMBER, f"職員番号 {employee} は {context.seen[employee]} 行目にもあります。1人につき1行にしてください。")
        return ""
    context.seen[employee] = number
    return employee


def _effective_on(value, today, problem):
    shown = (value or "").strip()[:20]
    if not shown:
        problem(DATE, "異動日を入力してください (例: 2025-04-01)。")
        return today
    try:
        day = parse_day(value)
    except ValueError:
        problem(DATE, f"異動日「{shown}」はありえない日付です。")
        return today
    if day is None:
        problem(DATE, f"異動日「{shown}」を日付として読めません。2025-04-01、2025/4/1、令和7年4月1日 のように入力してください。")
        return today
    if abs((day - today).days) > MAX_DAYS_AWAY:
        problem(DATE, f"異動日「{shown}」が今日から1年以上離れています。日付を確認してください。")
    return day


def _role(value, problem):
    typed = unicodedata.normalize("NFKC", value or "").strip()
    if not typed:
        problem(ROLE, f"役割を入力してください ({ROLE_HELP})。")
        return "", ""
    if typed in LEAVE_WORDS:
        return "", LEAVE_WORDS[typed]
    role = ROLE_WORDS.get(typed) or ROLE_WORDS.get(typed.lower())
    if role is None:
        problem(ROLE, f"役割「{typed[:20]}」はありません。{ROLE_HELP}のいずれかを入力してください。")
        return "", ""
    return role, ""


def _departments(context, value, role, problem):
    codes = [c for c in re.split(r"[\s,、・/]+", unicodedata.normalize("NFKC", value or "")) if c]
    if not codes:
        problem(CODES, "部署コードを入力してください (退職・転出のときは役割に「退職」「転出」と書きます)。")
        return []
    assignments, seen = [], set()
    for code in codes:
        department = context.department(code)
        if department is None:
            problem(CODES, f"部署コード「{code[:20]}」の部署は{context.office.name}にありません。")
        elif not department.is_active:
            problem(CODES, f"部署コード {code} ({department.name}) は無効になった部署です。")
        elif department.pk not in seen:
            seen.add(department.pk)
            assignments.append((department, role))
    return assignments


def _person(context, planned, profile, values, problem):
    """The person of the row: the one on record, or a new account (name, mail, account name)."""
    name = text.normalise(values.get(NAME) or "").strip()
    mail = (values.get(MAIL) or "").strip()
    if name:
        parts = re.split(r"[ \u3000]+", name, maxsplit=1)
        planned.last_name, planned.first_name = parts[0], parts[1] if len(parts) > 1 else ""
        if max(len(planned.last_name), len(planned.first_name)) > NAME_MAX:
            problem(NAME, f"氏名が長すぎます (氏・名それぞれ{NAME_MAX}文字まで)。")
    if mail:
        try:
            if len(mail) > MAIL_MAX:
                raise ValidationError("too long")
            validate_email(mail)
        except ValidationError:
            problem(MAIL, f"メールアドレス「{mail[:50]}」の形式が正しくありません ({MAIL_MAX}文字まで)。")
        planned.email = mail
    if profile is not None:
        planned.user = profile.user
        return
    if not planned.number:
        return
    if planned.leave:
        problem(NUMBER, f"職員番号 {planned.number} の職員は登録されていません (退職・転出は登録済みの職員だけに書けます)。")
    if not name:
        problem(NAME, "新しい職員の氏名を入力してください (例: 企画 進)。")
    planned.username = _account(values) or planned.number
    if len(planned.username) > ACCOUNT_MAX:
        problem(ACCOUNT, f"アカウント名が長すぎます ({ACCOUNT_MAX}文字まで)。")
        return
    try:
        UnicodeUsernameValidator()(planned.username)
    except ValidationError:
        problem(ACCOUNT, f"アカウント名「{planned.username[:30]}」には半角英数字と @ . + - _ だけが使えます。")
        return
    if planned.username.lower() in context.usernames:
        where = ACCOUNT if _account(values) else NUMBER
        problem(where, f"アカウント名「{planned.username}」は既に使われています。列「{ACCOUNT}」に別の名前を入力してください。")
    context.usernames.add(planned.username.lower())


def _classify(context, planned, profile):
    user = planned.user
    if user is None:
        planned.kind = Kind.NEW
        return
    current = sorted(context.memberships.get(user.pk, []), key=lambda m: (m.department.sort_order, m.department.code))
    if user.is_active:
        planned.before = describe([(m.department, m.role) for m in current])
    else:
        planned.before = "着任前" if profile.left_on is None else "停止中"
    have = {(m.department_id, m.role) for m in current}
    want = {(department.pk, role) for department, role in planned.assignments}
    if planned.leave:
        planned.kind = Kind.UNCHANGED if not user.is_active and not have else (
            Kind.RETIRE if planned.leave == StaffChangeKind.RETIRE else Kind.OUT
        )
    elif not user.is_active and profile.left_on is None:
        planned.kind = Kind.NEW  # registered by an earlier file, still waiting for their first day
    elif not user.is_active:
        planned.kind = Kind.RETURN
        planned.notes.append("復帰後にパスワードの発行が必要です (ディレクトリでログインする人を除く)。")
    elif have == want:
        planned.kind = Kind.UNCHANGED
    elif {d for d, _ in have} == {d for d, _ in want}:
        planned.kind = Kind.ROLE
    else:
        planned.kind = Kind.MOVED
    _detail_notes(planned, user)
    for change in context.pending.get(user.pk, []):
        replaced = "この行で置き換えます" if change.effective_on == planned.effective_on else "そのまま残ります"
        planned.notes.append(
            f"{japanese_date(change.effective_on)}付の予定 ({change.get_kind_display()}) があります ({replaced})。"
        )


def _detail_notes(planned, user):
    if planned.last_name is not None and (planned.last_name, planned.first_name) != (user.last_name, user.first_name):
        planned.notes.append(f"氏名を「{user.last_name} {user.first_name}」から変更します。")
    if planned.email is not None and planned.email != user.email:
        planned.notes.append(f"メールを「{user.email or 'なし'}」から変更します。")


# --- keeping the rows for 確定, and 確定 ----------------------------------------------------------


def transfer_upload_keep(*, office, owner, filename, rows) -> TransferUpload:
    """Keep the rows read for 確定 (one per person and office; expired ones of anyone go)."""
    now = timezone.now()
    with transaction.atomic():
        TransferUpload.objects.filter(created_at__lt=now - TransferUpload.EXPIRES_AFTER).delete()
        TransferUpload.objects.filter(office=office, owner=owner).delete()
        return TransferUpload.objects.create(
            office=office, owner=owner, filename=text.as_one_line(filename or "")[:200], rows=rows, created_at=now
        )


MISSING = "確定するファイルが見つかりません (既に確定したか、別のファイルを読み込みました)。もう一度ファイルを選んでください。"
EXPIRED = "ファイルを読み込んでから1時間を過ぎたため、確定できませんでした。何も変更していません。もう一度ファイルを選んでください。"


def transfer_upload_take(*, office, owner, pk) -> TransferUpload:
    """The kept upload, used up; StaffError when it is not this person's for this office, was
    used already, or has expired."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise StaffError(MISSING) from None
    upload = TransferUpload.objects.filter(pk=pk, office=office, owner=owner).first()
    if upload is None or TransferUpload.objects.filter(pk=upload.pk).delete()[0] != 1:
        raise StaffError(MISSING)
    if upload.is_expired():
        raise StaffError(EXPIRED)
    return upload


@dataclass(frozen=True)
class Outcome:
    applied: int
    scheduled: int
    created: int
    unchanged: int


def transfers_apply(*, office, plan: TransferPlan, by, source) -> Outcome:
    """Write a checked plan in one transaction: new accounts, names and mail at once; each
    change recorded, and applied at once when its date has come."""
    if plan.problems:
        raise ValueError("a plan with problems is never applied")
    applied = scheduled = created = unchanged = 0
    with transaction.atomic():
        for planned in plan.rows:
            user = planned.user
            if user is None:
                user = _new_account(office, planned)
                created += 1
            else:
                _update_details(user, planned)
            if planned.kind == Kind.UNCHANGED:
                unchanged += 1
                continue
            kind = planned.leave or StaffChangeKind.ASSIGN
            staff_change_record_checked(
                office=office, user=user, kind=kind, effective_on=planned.effective_on,
                assignments=planned.assignments, source=source, by=by,
            )
            if planned.is_due(plan.today):
                applied += 1
            else:
                scheduled += 1
    return Outcome(applied=applied, scheduled=scheduled, created=created, unchanged=unchanged)


def _new_account(office, planned):
    """A new person's account: inactive (and without a password) until their change applies."""
    user = get_user_model()(
        username=planned.username, last_name=planned.last_name or "",
        first_name=planned.first_name or "", email=planned.email or "", is_active=False,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    StaffProfile.objects.create(user=user, office=office, employee_number=planned.number)
    return user


def _update_details(user, planned):
    fields = []
    if planned.last_name is not None and (planned.last_name, planned.first_name) != (user.last_name, user.first_name):
        user.last_name, user.first_name = planned.last_name, planned.first_name
        fields += ["last_name", "first_name"]
    if planned.email is not None and planned.email != user.email:
        user.email = planned.email
        fields.append("email")
    if fields:
        user.save(update_fields=fields)
