"""How a sheet's timeline names who took a step: {{ event|actor_label }}."""

from django import template

from departments.people import person_name

register = template.Library()


@register.filter
def actor_label(event):
    """「承認 花子」, or 「代理入力: 承認 花子」 for a save or 提出 made for the department by someone
    who was not its editor then (ReviewEvent.on_behalf); システム without a person."""
    name = person_name(event.actor)
    return f"代理入力: {name}" if event.on_behalf else name
