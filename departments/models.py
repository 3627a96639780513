"""Offices (区役所), their departments (部署) and who belongs to which department in which role."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length, Replace, StrIndex
from django.db.models.lookups import Exact, LessThanOrEqual

from wardservice.fields import LineField, SlugField

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

    class Meta:
        verbose_name = verbose_name_plural = "所属"
        ordering = ["department", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} / {self.department} ({self.get_role_display()})"
