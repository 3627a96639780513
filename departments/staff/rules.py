"""The staff pages' rule book: who may use them, and what a change may never do.

Each function returns the refusal (Japanese, as the page shows it) or None; the services raise
it (StaffError) and the pages show it, so the reason is written once.
"""

from django.contrib.auth import get_user_model

from departments.models import Membership, Role, StaffChange
from departments.permissions import get_access


def may_see_staff_pages(request, office) -> bool:
    """Anyone of the office learns the pages exist (a 403, not a 404); superusers too."""
    return request.user.is_superuser or bool(get_access(request).office_roles(office))


def may_manage_staff(request, office) -> bool:
    """Approvers of the office, and superusers (IT), manage its staff."""
    return request.user.is_superuser or get_access(request).has("staff.manage", office=office)


def approvers_left_problem(*, office, outcome: dict[int, set[str]], actor=None) -> str | None:
    """Refusal when, after the changes, the office would have no approver at all.

    `outcome` maps each changed person's user id to the roles they will hold in the office
    (empty when they leave it or lose every role). Future changes count as done, those already
    waiting too: a file that retires the last approver on 4月1日 is refused today, not discovered
    then.
    """
    current = set(
        Membership.objects.filter(
            department__office=office, role=Role.APPROVER, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    waiting = {}  # each person's last change still waiting for its date
    for change in StaffChange.objects.filter(
        office=office, applied_at__isnull=True, cancelled_at__isnull=True
    ).prefetch_related("assignments").order_by("effective_on", "created_at", "pk"):
        waiting[change.user_id] = {assignment.role for assignment in change.assignments.all()}
    outcome = {**waiting, **outcome}
    after = {pk for pk in current if pk not in outcome}
    after |= {pk for pk, roles in outcome.items() if Role.APPROVER in roles}
    if after:
        return None
    if actor is not None and actor.pk in current and Role.APPROVER not in outcome.get(actor.pk, ()):
        return (
            f"あなたの承認者の役割を外すと、{office.name}に承認者が1人もいなくなります。"
            "先に別の職員を承認者にしてください。"
        )
    return (
        f"この変更のあと、{office.name}に承認者が1人もいなくなります。"
        "承認者を1人以上残してください。"
    )


def self_leave_problem(*, user, actor) -> str | None:
    """Nobody records their own leaving on the staff page (they would be logged out half-way):
    another approver does, or the 人事異動 file does."""
    if actor is not None and user.pk == actor.pk:
        return "自分の退職・転出は登録できません。別の承認者に登録を依頼してください。"
    return None


def username_problem(username) -> str | None:
    """An account name already in use (by anyone, active or not: accounts are never deleted)."""
    if get_user_model().objects.filter(username__iexact=username).exists():
        return f"アカウント名「{username}」は既に使われています。別の名前にしてください。"
    return None


def already_left_problem(*, user, office_memberships) -> str | None:
    """An inactive account without a department of the office has nothing left to leave."""
    if not user.is_active and not office_memberships:
        return "この職員は既に停止しています (退職・転出の登録は不要です)。"
    return None
