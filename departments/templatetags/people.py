from django import template

from departments.models import Office, Role
from departments.people import person_name as _person_name
from departments.permissions import get_access

register = template.Library()


@register.filter
def person_name(user):
    """{{ user|person_name }}: family name first; see departments.people.person_name."""
    return _person_name(user)


@register.filter
def control(field, css="form-control"):
    """{{ field|control }}: the field's widget with Bootstrap's class, and its help text and
    errors tied to it (aria-describedby: `<id>_helptext`, `<id>_error`; aria-invalid)."""
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        described.append(f"{field.auto_id}_error")
        css += " is-invalid"
    attrs = {"class": css}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def staff_offices(context):
    """The offices whose staff pages the person may open (for 「職員」 in the staff menu): an
    approver's, from the memberships the request has loaded anyway; every office for a superuser."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Office.objects.all())
    access = get_access(request)
    return [office for office in access.offices() if Role.APPROVER in access.office_roles(office)]
