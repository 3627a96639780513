"""Model fields that hold the text policy (wardservice.text) on every write, whatever its path.

Every CharField and TextField of our models that people or imports fill is one of these:

  - `full_clean()` (model forms, the admin, the services) normalises the value and refuses it
    with the field's Japanese message: `to_python` normalises, the validators refuse;
  - `save()` and `bulk_create()` store the normalised value and leave it on the instance
    (`pre_save`);
  - every write — `save()`, `bulk_create()`, `QuerySet.update()`, `bulk_update()`, fixtures —
    passes `get_db_prep_save`, which normalises again and runs the field's validators (the
    policy, the length, a code's shape) before any SQL is sent, raising ValidationError.

So an import that builds rows for `bulk_create` without `full_clean` still cannot store what the
policy refuses: it finds out from a ValidationError instead of a damaged page. Callers check
first (forms, import checks, services) to say where the problem is; this is the floor under them.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_slug
from django.db import models

from wardservice import text


def validate_text(value):
    """Text with paragraphs: refuse what the policy refuses (see wardservice.text)."""
    _refuse(text.text_problem(value))


def validate_line(value):
    """One line: refuse what the policy refuses, and line breaks and tabs."""
    _refuse(text.text_problem(value, one_line=True))


def _refuse(problem):
    if problem is not None:
        message, code = problem
        raise ValidationError(message, code=code)


class _TextPolicy:
    def to_python(self, value):
        value = super().to_python(value)
        return text.normalise(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if isinstance(value, str):
            normalised = text.normalise(value)
            if normalised != value:
                setattr(model_instance, self.attname, normalised)
            value = normalised
        return value

    def get_db_prep_save(self, value, connection):
        if isinstance(value, str):
            value = text.normalise(value)
            try:
                self.run_validators(value)
            except ValidationError as error:
                raise ValidationError({self.name: error.error_list}) from None
        return super().get_db_prep_save(value, connection)


class LineField(_TextPolicy, models.CharField):
    """One line of text: a name, a code, a label, a file name."""

    default_validators = [validate_line]


class PlainTextField(_TextPolicy, models.TextField):
    """Text with paragraphs (LF between them). Its max_length, if given, is checked as well
    (Django gives a TextField's max_length to its form field only)."""

    default_validators = [validate_text]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))


class SlugField(_TextPolicy, models.SlugField):
    """A slug (ASCII letters, digits, "-" and "_"), checked on every write as well."""

    default_validators = [validate_slug, validate_line]
