"""Offices (区役所), their departments (部署) and who belongs to which department in which role."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact


class Office(models.Model):
    """A ward office. One installation can serve every ward of a city."""

    name = models.CharField("名称", max_length=100, unique=True, help_text="例: 中原区役所")
    slug = models.SlugField("URL名", max_length=50, unique=True, help_text="例: nakahara")
    municipality_name = models.CharField("市区町村名", max_length=100, help_text="例: 川崎市中原区")
    municipality_code = models.CharField(
        "全国地方公共団体コード",
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", "全国地方公共団体コードは6桁の数字です。")],
    )

    class Meta:
        verbose_name = verbose_name_plural = "区役所"
        ordering = ["municipality_code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("municipality_code"), 6), name="office_code_six_chars"
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
    code = models.CharField("部署コード", max_length=20)
    name = models.CharField("部署名", max_length=200, help_text="公表時の表記 (例: まちづくり推進部 総務課)")
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
