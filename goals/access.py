"""What every staff view needs: the sheet or year fetched through the user's office (STYLE move 1)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404

from departments.models import Department, Office
from departments.permissions import check_permission_name, get_access, require
from goals.models import FiscalYear, GoalSheet, Phase


def get_fiscal_year(request, office, year, permission="office.view"):
    """The office's year, if the user may act on the office with this permission (else 404)."""
    check_permission_name(permission)
    office_obj = Office.objects.filter(slug=office).first()
    if office_obj is None or not get_access(request).has(permission, office=office_obj):
        raise Http404
    return get_object_or_404(FiscalYear.objects.select_related("office"), office=office_obj, year=year)


def get_sheet(request, office, year, code, permission="sheet.view"):
    """The department's sheet for the year: 404 unless the user may see it, 403 unless they may do this."""
    check_permission_name(permission)
    office_obj = Office.objects.filter(slug=office).first()
    if office_obj is None:
        raise Http404
    department = Department.objects.filter(office=office_obj, code=code).first()
    if department is None:
        raise Http404
    require(request, permission, office=office_obj, department=department)
    return get_object_or_404(
        GoalSheet.objects.select_related("department", "fiscal_year__office"),
        department=department,
        fiscal_year__year=year,
    )


def get_phase(phase):
    if phase not in Phase.values:
        raise Http404
    return Phase(phase)


def domain_error(request, error):
    """A refused workflow step becomes a message the person reads on the next page."""
    messages.error(request, str(error))
