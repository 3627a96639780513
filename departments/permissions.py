"""Who may do what, in one place.

Editors act on their own departments; approvers and viewers act across their office. Permission
names are checked when a view is declared, so a typo fails at import rather than in production.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from departments.models import Membership, Office, Role

# permission -> (roles that grant it on their own department, roles that grant it office-wide)
PERMISSIONS = {
    "sheet.view": ({Role.EDITOR}, {Role.APPROVER, Role.VIEWER}),
    # 総務課 writes and submits for any department of its office (代理入力: is_proxy below); the
    # approval rule (goals.rules.approve_refusal) then keeps them from approving what they wrote.
    "sheet.edit": ({Role.EDITOR}, {Role.APPROVER}),
    "sheet.review": (set(), {Role.APPROVER}),
    "office.view": (set(), {Role.APPROVER, Role.VIEWER}),
    "year.manage": (set(), {Role.APPROVER}),
    # Staff accounts, their departments and roles, 人事異動 (departments.views.people).
    "staff.manage": (set(), {Role.APPROVER}),
    # The office glossary of words and their plain wording (plain.views).
    "glossary.manage": (set(), {Role.APPROVER}),
    # The office's ふりがなの辞書 of proper nouns for the public pages (reports.views.readings).
    "readings.manage": (set(), {Role.APPROVER}),
}


def check_permission_name(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}; known: {sorted(PERMISSIONS)}")
    return permission


class Access:
    """One user's memberships, loaded once (one query), answering permission questions."""

    def __init__(self, user):
        self.user = user
        self.memberships = (
            list(Membership.objects.filter(user=user).select_related("department__office"))
            if user.is_authenticated and user.is_active
            else []
        )

    def department_roles(self, department) -> set[str]:
        return {m.role for m in self.memberships if m.department_id == department.pk}

    def office_roles(self, office) -> set[str]:
        return {m.role for m in self.memberships if m.department.office_id == office.pk}

    def has(self, permission: str, *, office, department=None) -> bool:
        """Whether the user holds the permission in that office (and on that department, if given)."""
        own, office_wide = PERMISSIONS[check_permission_name(permission)]
        if self.office_roles(office) & office_wide:
            return True
        return department is not None and bool(self.department_roles(department) & own)

    def offices(self):
        """The offices the user belongs to, in a stable order."""
        seen = {}
        for m in self.memberships:
            seen.setdefault(m.department.office_id, m.department.office)
        return sorted(seen.values(), key=lambda o: (o.municipality_code, o.name))

    def editable_departments(self, office):
        return [m.department for m in self.memberships if m.role == Role.EDITOR and m.department.office_id == office.pk]


def is_proxy(user, department) -> bool:
    """Whether a save or 提出 by `user` on the department's sheet is 代理入力: they are not one of
    its editors (an approver writing for it). Asked by the services at the moment of the step,
    and recorded with it (goals.models.ReviewEvent.on_behalf); nobody (a command) is no proxy."""
    if user is None:
        return False
    return not Membership.objects.filter(user=user, department=department, role=Role.EDITOR).exists()


def editor_department_ids(user) -> set:
    """The departments `user` is an editor of (ids), for is_proxy over many sheets in one query."""
    if user is None:
        return set()
    return set(Membership.objects.filter(user=user, role=Role.EDITOR).values_list("department_id", flat=True))


def get_access(request) -> Access:
    """The request's Access, computed on first use."""
    if not hasattr(request, "_access"):
        request._access = Access(request.user)
    return request._access


def require(request, permission, *, office, department=None, visible_with="sheet.view"):
    """Raise 404 when the user may not even see the object, 403 when they may see but not do this."""
    access = get_access(request)
    if not access.has(visible_with, office=office, department=department):
        raise Http404
    if not access.has(permission, office=office, department=department):
        raise PermissionDenied


def office_permission_required(permission):
    """View decorator: the office in the URL must grant the user this permission (else 404)."""
    check_permission_name(permission)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            office = Office.objects.filter(slug=kwargs.get("office")).first()
            if office is None or not get_access(request).has(permission, office=office):
                raise Http404
            request.office = office
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def office_page(permission):
    """View decorator for an office's management pages: login; the office of the URL passed to the
    view; 404 to someone outside the office, 403 to its members without the permission."""
    check_permission_name(permission)

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, office, *args, **kwargs):
            office_obj = Office.objects.filter(slug=office).first()
            access = get_access(request)
            if office_obj is None or not access.office_roles(office_obj):
                raise Http404
            if not access.has(permission, office=office_obj):
                raise PermissionDenied
            return view(request, office_obj, *args, **kwargs)

        return wrapper

    return decorator

