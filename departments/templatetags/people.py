from django import template

from departments.people import person_name as _person_name

register = template.Library()


@register.filter
def person_name(user):
    """{{ user|person_name }}: family name first; see departments.people.person_name."""
    return _person_name(user)
