"""What a refused form had typed in it, to show back to the person (the CSRF failure page).

A form refused because its page was open too long, or because the login changed in another tab,
loses what was typed. The failure page shows it again, read only, for copying into the form
once it is opened afresh. Only what a person types comes back: never the CSRF token, a
password, a file, a hidden value or a button's, and within limits of count and length.

A field is named by its label where the project's forms give it one (the goals formset's
``goals-0-objective`` is 「目標 (1件目)」), else by its name.
"""

import re
from dataclasses import dataclass

from django import forms
from django.forms.widgets import Input

# Forms of these modules name the fields a person types in (the project's and the login's).
FORM_MODULES = ("departments.", "goals.", "reports.", "wardservice.", "django.contrib.auth.")

MAX_FIELDS = 60
MAX_FIELD_CHARS = 20_000  # longer than any of the project's text fields allows

# ``prefix-3-name``: a field of a formset's fourth form; and a formset's own bookkeeping.
FORMSET_FIELD = re.compile(r"^(?P<prefix>.+)-(?P<index>\d+)-(?P<name>[^-]+)$")
FORMSET_MANAGEMENT = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
PASSWORD_NAME = re.compile(r"pass(word|wd)?|secret", re.IGNORECASE)
# A field no form declares holding a single ASCII token is the page's own (a button's value,
# a hidden token, a path to return to): nobody typed it. Typed text has spaces or Japanese.
MACHINE_VALUE = re.compile(r"^[A-Za-z0-9_.:/?=&%+-]{0,200}$")
# Django's CSRF token field (a fixed name in django.middleware.csrf), and the login's return path.
ALWAYS_LEFT_OUT = {"csrfmiddlewaretoken", "next"}

TYPED_WIDGETS = (Input, forms.Textarea)
UNTYPED_WIDGETS = (forms.HiddenInput, forms.PasswordInput, forms.FileInput, forms.CheckboxInput)


@dataclass(frozen=True)
class KeptField:
    label: str
    value: str
    truncated: bool

    @property
    def rows(self):
        """Rows of the read-only box: its lines, within 2 to 12."""
        return max(2, min(12, self.value.count("\n") + 1 + len(self.value) // 60))


@dataclass(frozen=True)
class KeptInput:
    fields: list[KeptField]
    left_out: int  # typed fields beyond MAX_FIELDS, not shown


def kept_input(post) -> KeptInput:
    """The typed fields of a submitted form (a QueryDict), in the order the form sent them."""
    known = field_descriptions()
    kept, left_out = [], 0
    for name in post:
        value = "\n".join(v for v in post.getlist(name) if isinstance(v, str))
        if not value.strip() or not _typed(name, value, known):
            continue
        if len(kept) >= MAX_FIELDS:
            left_out += 1
            continue
        kept.append(
            KeptField(
                label=_label(name, known),
                value=value[:MAX_FIELD_CHARS],
                truncated=len(value) > MAX_FIELD_CHARS,
            )
        )
    return KeptInput(kept, left_out)


@dataclass
class _Known:
    labels: set
    typed: bool = False


def field_descriptions() -> dict[str, _Known]:
    """{field name: its labels, and whether some form lets a person type in it}, from every
    form class of FORM_MODULES that is loaded (the URLconf has imported them all by now)."""
    known: dict[str, _Known] = {}
    for form_class in _subclasses(forms.BaseForm):
        if not form_class.__module__.startswith(FORM_MODULES):
            continue
        for name, field in getattr(form_class, "base_fields", {}).items():
            entry = known.setdefault(name, _Known(set()))
            if field.label:
                entry.labels.add(str(field.label))
            widget = field.widget
            if isinstance(widget, TYPED_WIDGETS) and not isinstance(widget, UNTYPED_WIDGETS):
                entry.typed = True
    return known


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _split(name):
    """(field name, 1-based form number or None) of a plain or a formset field's name."""
    match = FORMSET_FIELD.match(name)
    if match:
        return match["name"], int(match["index"]) + 1
    return name, None


def _typed(name, value, known):
    if name in ALWAYS_LEFT_OUT or PASSWORD_NAME.search(name) or FORMSET_MANAGEMENT.search(name):
        return False
    field, _ = _split(name)
    if field in known:
        return known[field].typed
    return not MACHINE_VALUE.match(value)


def _label(name, known):
    field, number = _split(name)
    labels = known[field].labels if field in known else set()
    # Two forms giving one name two labels: the name is the only honest answer.
    label = next(iter(labels)) if len(labels) == 1 else name
    if label == name:
        return name
    return f"{label} ({number}件目)" if number else label
