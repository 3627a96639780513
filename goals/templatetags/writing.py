"""The writing aid in the staff templates."""

from django import template

register = template.Library()


@register.simple_tag
def sheet_level(levels, sheet, phase):
    """The level (plain.analysis.Level) of a sheet's phase from goals.writing.year_levels(), or None."""
    return (levels or {}).get(sheet.pk, {}).get(phase)
