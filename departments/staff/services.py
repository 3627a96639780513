"""Every change to staff: accounts, their departments and roles, leaving, passwords.

A change of someone's departments or roles is a StaffChange with its date (異動日): recorded,
and applied at once when the date has come, else on that date by `manage.py housekeeping`
(nightly; departments.staff.services.staff_changes_apply_due) or when 総務課 opens the staff
pages, whichever comes first. Applying one writes the memberships (each change in the
membership history, with who recorded it and why) and, for a leaver, makes the account
inactive and ends its sessions. Users are never deleted: past timelines keep their names.
"""

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from departments.models import (
    Membership,
    StaffChange,
    StaffChangeAssignment,
    StaffChangeKind,
    StaffProfile,
)
from departments.staff import rules

DB_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}
# Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAGE = "職員のページ"


class StaffError(Exception):
    """A refused change; the message is Japanese and can be shown as it is."""


def japanese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _refuse(problem):
    if problem:
        raise StaffError(problem)


# --- accounts ---------------------------------------------------------------------------------


def temporary_password() -> str:
    """A random password to hand over once (4 groups of 4: about 92 bits)."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def staff_create(
    *, office, username, last_name, first_name, email, employee_number, assignments, issue_password, by
):
    """A new member of staff with their departments and roles from today.

    Returns (user, password): the temporary password to hand over when `issue_password`, else
    None (the account logs in through the directory, or gets a password later).
    """
    _refuse(rules.username_problem(username))
    with transaction.atomic():
        user = get_user_model()(
            username=username, last_name=last_name, first_name=first_name, email=email
        )
        password = temporary_password() if issue_password else None
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        profile = StaffProfile(user=user, office=office, employee_number=employee_number)
        profile.full_clean()
        profile.save()
        staff_change_record(
            office=office,
            user=user,
            kind=StaffChangeKind.ASSIGN,
            effective_on=timezone.localdate(),
            assignments=assignments,
            source=f"{PAGE} (登録)",
            by=by,
        )
    return user, password


def staff_update(*, office, user, last_name, first_name, email, employee_number, assignments, by):
    """Name, mail, 職員番号 and, from today, departments and roles (a StaffChange of today)."""
    with transaction.atomic():
        user.last_name, user.first_name, user.email = last_name, first_name, email
        user.save(update_fields=["last_name", "first_name", "email"])
        profile = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user, office=office)
        if profile.office_id == office.pk:
            profile.employee_number = employee_number
            profile.full_clean()
            profile.save()
        current = {(m.department_id, m.role) for m in _office_memberships(user, office)}
        wanted = {(department.pk, role) for department, role in assignments}
        if current == wanted and user.is_active:
            return None
        return staff_change_record(
            office=office,
            user=user,
            kind=StaffChangeKind.ASSIGN,
            effective_on=timezone.localdate(),
            assignments=assignments,
            source=f"{PAGE} (所属の変更)",
            by=by,
        )


def staff_leave(*, office, user, kind, effective_on, by):
    """退職 or 転出 on `effective_on`: at once when it has come, else on that day."""
    _refuse(rules.self_leave_problem(user=user, actor=by))
    _refuse(rules.already_left_problem(user=user, office_memberships=_office_memberships(user, office)))
    return staff_change_record(
        office=office,
        user=user,
        kind=kind,
        effective_on=effective_on,
        assignments=[],
        source=f"{PAGE} ({StaffChangeKind(kind).label})",
        by=by,
    )


def staff_password_issue(*, user) -> str:
    """A new temporary password; every session of the person ends with the old one."""
    password = temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    sessions_end(user)
    return password


def sessions_end(user) -> int:
    """End the person's sessions: with the database store, their rows are deleted now.

    (Whatever the store, a session is only honoured while the account is active and its
    password hash unchanged; leaving changes both.) How many rows were deleted.
    """
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    mine = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if store().decode(session.session_data).get(SESSION_KEY) == str(user.pk)
    ]
    return Session.objects.filter(session_key__in=mine).delete()[0]


# --- dated changes ----------------------------------------------------------------------------


def staff_change_record(*, office, user, kind, effective_on, assignments, source, by):
    """Record a change of `user` in `office` from `effective_on`, and apply it if it is due.

    `assignments` is [(department, role)] (empty to leave). A change still waiting for the same
    day is replaced (cancelled). Refused (StaffError) when the office would be left without an
    approver; checked by the caller for a whole file at once (transfers).
    """
    outcome = {user.pk: {role for _department, role in assignments}}
    _refuse(rules.approvers_left_problem(office=office, outcome=outcome, actor=by))
    return staff_change_record_checked(
        office=office, user=user, kind=kind, effective_on=effective_on,
        assignments=assignments, source=source, by=by,
    )


def staff_change_record_checked(*, office, user, kind, effective_on, assignments, source, by):
    """staff_change_record without the approver check (the caller made it for all changes)."""
    now = timezone.now()
    with transaction.atomic():
        StaffChange.objects.filter(
            office=office, user=user, effective_on=effective_on,
            applied_at__isnull=True, cancelled_at__isnull=True,
        ).update(cancelled_at=now, cancelled_by=by)
        change = StaffChange.objects.create(
            office=office, user=user, kind=kind, effective_on=effective_on,
            source=source[:200], created_by=by, created_at=now,
        )
        StaffChangeAssignment.objects.bulk_create(
            [StaffChangeAssignment(change=change, department=d, role=r) for d, r in assignments]
        )
        if effective_on <= timezone.localdate():
            staff_change_apply(change, now=now)
            change.refresh_from_db()
    return change


def staff_change_cancel(*, change, by):
    """Cancel a change still waiting for its date; StaffError when it was applied or cancelled."""
    with transaction.atomic():
        change = StaffChange.objects.select_for_update().get(pk=change.pk)
        if change.applied_at is not None:
            raise StaffError("この人事異動は既に適用されているため、取り消せません。")
        if change.cancelled_at is not None:
            raise StaffError("この人事異動は既に取り消されています。")
        change.cancelled_at, change.cancelled_by = timezone.now(), by
        change.save(update_fields=["cancelled_at", "cancelled_by"])
    return change


def staff_changes_apply_due(*, today=None, office=None, dry_run=False) -> int:
    """Apply every change whose date has come (oldest date first); how many were (or would be)."""
    today = today or timezone.localdate()
    due = StaffChange.objects.filter(
        applied_at__isnull=True, cancelled_at__isnull=True, effective_on__lte=today
    )
    if office is not None:
        due = due.filter(office=office)
    if dry_run:
        return due.count()
    return sum(staff_change_apply(change) for change in due.order_by("effective_on", "created_at", "pk"))


def staff_change_apply(change, *, now=None) -> bool:
    """Make the person's memberships in the office what the change says; False if it was no
    longer waiting (applied or cancelled meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        change = (
            StaffChange.objects.select_for_update(of=("self",))
            .select_related("office", "created_by")
            .get(pk=change.pk)
        )
        if not change.is_pending:
            return False
        user = get_user_model().objects.select_for_update().get(pk=change.user_id)
        target = {a.department_id: a.role for a in change.assignments.all()}
        reason = f"人事異動 ({japanese_date(change.effective_on)}付 {change.get_kind_display()}、{change.source})"
        _write_memberships(user, change, target, reason)
        _after_change(user, change)
        change.applied_at = now
        change.save(update_fields=["applied_at"])
    return True


def _write_memberships(user, change, target, reason):
    def recorded(membership):
        membership._history_user = change.created_by
        membership._change_reason = reason
        return membership

    missing = dict(target)
    for membership in _office_memberships(user, change.office):
        role = missing.pop(membership.department_id, None)
        if role is None:
            recorded(membership).delete()
        elif membership.role != role:
            membership.role = role
            recorded(membership).save(update_fields=["role"])
    for department_id, role in missing.items():
        recorded(Membership(user=user, department_id=department_id, role=role)).save()


def _after_change(user, change):
    """The record's leaving date and the account's state after the memberships were written."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        profile = StaffProfile(user=user, office=change.office)
    if change.is_leaving:
        if profile.office_id == change.office.pk:
            profile.left_on = change.effective_on
        if not Membership.objects.filter(user=user).exists():
            _deactivate(user)
    else:
        if profile.office_id == change.office.pk:
            profile.left_on = None
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
    profile.save()


def _deactivate(user):
    """Loses access at once: inactive, no usable password (a session is honoured only while the
    password hash it was made with is unchanged), sessions deleted."""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    sessions_end(user)


def _office_memberships(user, office):
    return list(
        Membership.objects.filter(user=user, department__office=office).select_related("department")
    )
