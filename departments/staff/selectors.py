"""Reading staff for the pages: the office's list, one person through the office, histories."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.http import Http404

from departments.models import Department, Membership, StaffChange


class Status:
    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"
    ALL = "all"
    CHOICES = [
        (ACTIVE, "在職中"),
        (INACTIVE, "停止中 (退職・転出)"),
        (PENDING, "異動の予定あり"),
        (ALL, "すべて"),
    ]


def _pending():
    return Q(staff_changes__applied_at__isnull=True, staff_changes__cancelled_at__isnull=True)


def office_staff(*, office, query="", department=None, role="", status=Status.ACTIVE):
    """The office's staff — a record (職員番号) in the office or a department of it — with their
    memberships in the office (`office_memberships`) and changes still waiting for their date
    (`pending_changes`): three queries for a page, whatever its length."""
    members = get_user_model().objects.filter(
        Q(staff_profile__office=office) | Q(memberships__department__office=office)
    )
    if query:
        members = members.filter(
            Q(username__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(email__icontains=query)
            | Q(staff_profile__employee_number__icontains=query)
        )
    if department is not None or role:
        held = Membership.objects.filter(department__office=office)
        if department is not None:
            held = held.filter(department=department)
        if role:
            held = held.filter(role=role)
        members = members.filter(pk__in=held.values("user_id"))
    if status == Status.ACTIVE:
        members = members.filter(is_active=True)
    elif status == Status.INACTIVE:
        members = members.filter(is_active=False)
    elif status == Status.PENDING:
        members = members.filter(_pending(), staff_changes__office=office)
    return (
        members.distinct()
        .select_related("staff_profile")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(department__office=office).select_related("department"),
                to_attr="office_memberships",
            ),
            Prefetch(
                "staff_changes",
                queryset=StaffChange.objects.filter(
                    office=office, applied_at__isnull=True, cancelled_at__isnull=True
                ).prefetch_related("assignments__department"),
                to_attr="pending_changes",
            ),
        )
        .order_by("staff_profile__employee_number", "username")
    )


def staff_member(*, office, pk):
    """One person of the office's staff (as office_staff has them), else 404."""
    member = office_staff(office=office, status=Status.ALL).filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def office_departments(office):
    """The office's departments people can belong to now, in the published order."""
    return Department.objects.filter(office=office, is_active=True).order_by("sort_order", "code")


def membership_history(*, office, user, limit=100):
    """The person's membership changes in the office, newest first (departments.Membership.history)."""
    return (
        Membership.history.filter(user_id=user.pk, department__office=office)
        .select_related("department", "history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )


def staff_changes(*, office, user=None, pending, limit=200):
    """Changes still waiting for their date (oldest date first), or recorded ones (newest first)."""
    changes = StaffChange.objects.filter(office=office).select_related(
        "user", "user__staff_profile", "created_by", "cancelled_by"
    ).prefetch_related("assignments__department")
    if user is not None:
        changes = changes.filter(user=user)
    if pending:
        return changes.filter(applied_at__isnull=True, cancelled_at__isnull=True).order_by(
            "effective_on", "created_at", "pk"
        )[:limit]
    return changes.exclude(applied_at__isnull=True, cancelled_at__isnull=True).order_by(
        "-created_at", "-pk"
    )[:limit]


def memberships_on(*, office, moment):
    """Who was in which department of the office at `moment` (an aware datetime), from the
    membership history: [(user id, department id, role)]."""
    return sorted(
        (m.user_id, m.department_id, m.role)
        for m in Membership.history.as_of(moment).filter(department__office=office)
    )
