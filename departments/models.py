"""Offices (区役所), their departments (部署) and who belongs to which department in which role."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length, Replace, StrIndex
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from wardservice.fields import LineField, PlainTextField, SlugField

DEPARTMENT_CODE_DIGITS = 10
# Names and codes become parts of URLs, element ids, mail headers and file names: one line, no
# path separators, codes of ASCII digits.
validate_department_code = RegexValidator(
    rf"\A[0-9]{{1,{DEPARTMENT_CODE_DIGITS}}}\Z",
    f"部署コードは半角数字{DEPARTMENT_CODE_DIGITS}桁以内で入力してください (例: 001)。",
    code="department_code",
)
validate_municipality_code = RegexValidator(
    r"\A[0-9]{6}\Z", "全国地方公共団体コードは6桁の数字です。", code="municipality_code"
)
PATH_SEPARATORS = "/\\"


def validate_department_name(value):
    """A 部署名 is also part of file names (the entry workbooks and their zip): no / or \\."""
    if any(separator in value for separator in PATH_SEPARATORS):
        raise ValidationError(
            "部署名に「/」「\\」は使えません (ファイル名にも使うため)。全角の「／」などにしてください。",
            code="path_separator",
        )


def _without_digits(field):
    """The column with every ASCII digit removed: "" exactly when it holds digits only."""
    expression = models.F(field)
    for digit in "0123456789":
        expression = Replace(expression, models.Value(digit), models.Value(""))
    return expression


def _digits_only(field, *, at_most):
    return (
        models.Q(Exact(_without_digits(field), ""))
        & models.Q(LessThanOrEqual(Length(field), at_most))
        & ~models.Q(**{field: ""})
    )


def _holds_none_of(field, characters):
    condition = models.Q()
    for character in characters:
        condition &= models.Q(Exact(StrIndex(field, models.Value(character)), 0))
    return condition


class Office(models.Model):
    """A ward office. One installation can serve every ward of a city."""

    name = LineField("名称", max_length=100, unique=True, help_text="例: 中原区役所")
    slug = SlugField("URL名", max_length=50, unique=True, help_text="例: nakahara")
    municipality_name = LineField("市区町村名", max_length=100, help_text="例: 川崎市中原区")
    municipality_code = LineField(
        "全国地方公共団体コード", max_length=6, validators=[validate_municipality_code]
    )

    class Meta:
        verbose_name = verbose_name_plural = "区役所"
        ordering = ["municipality_code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("municipality_code"), 6), name="office_code_six_chars"
            ),
            models.CheckConstraint(
                condition=_digits_only("municipality_code", at_most=6), name="office_code_digits"
            ),
        ]
        # Lists of offices (the front page, the search's hits) are in this order.
        indexes = [models.Index(fields=["municipality_code", "name"], name="office_code_name")]

    def __str__(self):
        return self.name


class Department(models.Model):
    """A 部署 as the ward prints it. Past years keep the names they were published with."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="departments", verbose_name="区役所"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上位組織",
        help_text="部・センターなど",
    )
    code = LineField(
        "部署コード",
        max_length=DEPARTMENT_CODE_DIGITS,
        validators=[validate_department_code],
        help_text=f"半角数字{DEPARTMENT_CODE_DIGITS}桁以内 (例: 001)",
    )
    name = LineField(
        "部署名",
        max_length=200,
        validators=[validate_department_name],
        help_text="公表時の表記 (例: まちづくり推進部 総務課)",
    )
    sort_order = models.PositiveIntegerField("表示順", default=0)
    is_active = models.BooleanField("有効", default=True)
    writes_goals = models.BooleanField(
        "目標シートを作成する",
        default=True,
        help_text="部・センターのように配下の課をまとめるだけの組織は外します",
    )

    class Meta:
        verbose_name = verbose_name_plural = "部署"
        ordering = ["office", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="department_unique_code"),
            models.UniqueConstraint(fields=["office", "name"], name="department_unique_name"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="department_not_own_parent"
            ),
            models.CheckConstraint(
                condition=_digits_only("code", at_most=DEPARTMENT_CODE_DIGITS),
                name="department_code_digits",
            ),
            models.CheckConstraint(
                condition=_holds_none_of("name", ["\n", "\r", *PATH_SEPARATORS]),
                name="department_name_one_line_no_path",
            ),
        ]
        indexes = [models.Index(fields=["office", "is_active", "sort_order"])]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    EDITOR = "editor", "部署担当者"
    APPROVER = "approver", "承認者"
    VIEWER = "viewer", "閲覧者"


class Membership(models.Model):
    """A user's role in one department. Approvers and viewers act office-wide."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="利用者",
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="memberships", verbose_name="部署"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices, default=Role.EDITOR)
    # Who was in which department when: every change, with who made it and why (人事異動 and
    # its date, or the staff page), kept after the membership itself is gone.
    history = HistoricalRecords(
        verbose_name="所属の履歴",
        verbose_name_plural="所属の履歴",
        history_change_reason_field=PlainTextField(null=True),
    )

    class Meta:
        verbose_name = verbose_name_plural = "所属"
        ordering = ["department", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} / {self.department} ({self.get_role_display()})"


# --- Staff: their record, dated changes (人事異動) and uploads waiting for 確定 ----------------------

EMPLOYEE_NUMBER_MAX = 20
validate_employee_number = RegexValidator(
    rf"\A[0-9A-Z][0-9A-Z-]{{0,{EMPLOYEE_NUMBER_MAX - 1}}}\Z",
    f"職員番号は半角の英数字とハイフンで{EMPLOYEE_NUMBER_MAX}文字以内で入力してください (例: 012345)。",
    code="employee_number",
)


class StaffProfile(models.Model):
    """A member of staff as 総務課 (人事) knows them: 職員番号 and office.

    Directory login matches a directory account to its user by account name or by
    `user.staff_profile.employee_number`. The user is never deleted (timelines name who did
    what); a leaver keeps the record, inactive, with the day they left.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staff_profile",
        verbose_name="利用者",
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="staff_profiles", verbose_name="区役所"
    )
    employee_number = LineField(
        "職員番号",
        max_length=EMPLOYEE_NUMBER_MAX,
        blank=True,
        validators=[validate_employee_number],
        help_text="半角英数字 (全角で入力しても半角にします)",
    )
    left_on = models.DateField("退職・転出日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "職員"
        ordering = ["office", "employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "employee_number"],
                condition=~models.Q(employee_number=""),
                name="staff_profile_unique_employee_number",
            ),
        ]

    def __str__(self):
        return f"{self.employee_number or '職員番号なし'} {self.user}"


class StaffChangeKind(models.TextChoices):
    ASSIGN = "assign", "所属・役割"
    RETIRE = "retire", "退職"
    TRANSFER_OUT = "transfer_out", "転出"


class StaffChange(models.Model):
    """One person's departments and roles in an office from a date on (人事異動, or an edit on the
    staff pages), or their leaving it. Applied on its date (departments.staff.services), then
    kept as the record of who changed what."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="staff_changes", verbose_name="区役所"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staff_changes",
        verbose_name="職員",
    )
    kind = models.CharField("内容", max_length=20, choices=StaffChangeKind.choices)
    effective_on = models.DateField("異動日")
    source = LineField("登録方法", max_length=200, help_text="取り込んだファイル名、または画面")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name="登録した人",
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    applied_at = models.DateTimeField("適用日時", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="取り消した人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "人事異動"
        ordering = ["effective_on", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=StaffChangeKind.values), name="staff_change_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(applied_at__isnull=True) | models.Q(cancelled_at__isnull=True),
                name="staff_change_applied_or_cancelled",
            ),
        ]
        indexes = [
            # The nightly run looks for what is due and not yet applied nor cancelled.
            models.Index(
                fields=["effective_on"],
                condition=models.Q(applied_at__isnull=True, cancelled_at__isnull=True),
                name="staff_change_pending",
            ),
            models.Index(fields=["office", "user", "effective_on"], name="staff_change_person"),
        ]

    def __str__(self):
        return f"{self.effective_on} {self.user} {self.get_kind_display()}"

    @property
    def is_pending(self):
        return self.applied_at is None and self.cancelled_at is None

    @property
    def is_leaving(self):
        return self.kind != StaffChangeKind.ASSIGN


class StaffChangeAssignment(models.Model):
    """One department and role a StaffChange gives (a person may belong to several)."""

    change = models.ForeignKey(
        StaffChange, on_delete=models.CASCADE, related_name="assignments", verbose_name="人事異動"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name="部署"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = verbose_name_plural = "人事異動の所属"
        ordering = ["department__sort_order", "department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "department"], name="staff_change_assignment_unique_department"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="staff_change_assignment_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.department} ({self.get_role_display()})"


class TransferUpload(models.Model):
    """A 人事異動 file that was read and previewed, waiting for 確定 (its rows as read, checked
    again on 確定 against the staff as they are then). Only its uploader can confirm it, once,
    within EXPIRES_AFTER."""

    EXPIRES_AFTER = timedelta(hours=1)

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="transfer_uploads", verbose_name="区役所"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="transfer_uploads",
        verbose_name="アップロードした人",
    )
    filename = LineField("ファイル名", max_length=200, blank=True)
    rows = models.JSONField("読み取った行", default=list)
    created_at = models.DateTimeField("アップロード日時", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "人事異動のファイル (確定待ち)"

    def __str__(self):
        return self.filename

    def is_expired(self, now=None):
        return (now or timezone.now()) - self.created_at > self.EXPIRES_AFTER
