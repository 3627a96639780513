"""The text policy as goals and its callers use it, and the one parser of whole numbers.

The policy (DESIGN §2) is decided once, in wardservice.text, for every stored text field:

  - normalised: NFC, and line breaks as LF (CR LF and CR become LF);
  - refused: control characters other than tab and LF; format characters (Unicode Cf: the
    bidirectional overrides and isolates U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F,
    U+061C, the zero-width characters U+200B–U+200D, U+2060, U+FEFF, the soft hyphen …); the
    separators U+2028 and U+2029; surrogates and noncharacters (U+FFFE, U+FFFF …); and in
    one-line fields (names, codes, labels), tabs and line breaks;
  - allowed: everything else, among it the variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF)
    that choose a kanji's form (葛󠄀), and private use characters (外字).

It lives below the three apps (wardservice.text, wardservice.fields) because departments' models
hold names and codes too, and departments imports nothing from goals.

Where it is enforced, so that no path skips it: in the model fields. Every CharField and
TextField that people or imports fill is a wardservice.fields LineField, PlainTextField or
SlugField: `full_clean()` normalises and refuses with a Japanese message, `save()` and
`bulk_create()` store the normalised value, and every write (`save`, `bulk_create`, `update`,
`bulk_update`, fixtures) runs the field's validators again just before the SQL, raising
ValidationError. Fields chosen from a fixed list (statuses, roles) are checked by their choices
and by the database. Forms, import checks and services check first, to say where the problem is
(the row and column of a file, the field of a form); the fields are the floor under them.

Codes have a fixed shape, in the models and the database: 部署コード 1–10 ASCII digits,
全国地方公共団体コード 6 digits, an office's URL name a slug.

Text stored before this policy is not rewritten: it is refused when saved again, and printed
without the refused characters (strip_control_characters).
"""

from django.core.exceptions import ValidationError

from wardservice import text as policy
from wardservice.fields import validate_line, validate_text

__all__ = [
    "has_control_characters",
    "normalise_text",
    "parse_goal_number",
    "parse_whole_number",
    "strip_control_characters",
    "text_problem",
    "validate_line",
    "validate_plain_text",
]

validate_plain_text = validate_text


def text_problem(text: str, *, one_line=False) -> str | None:
    """The Japanese message refusing the text (normalised first), or None when it is accepted."""
    problem = policy.text_problem(text, one_line=one_line)
    return problem[0] if problem else None


def has_control_characters(text: str) -> bool:
    """Whether the text holds a character the policy refuses in text with paragraphs (controls,
    bidirectional and zero-width characters, noncharacters)."""
    return policy.refused_character(policy.normalise(text or "")) is not None


def strip_control_characters(text: str) -> str:
    """The text without those characters: how every printed format shows text stored before the
    policy held."""
    return policy.remove_refused(text)


def normalise_text(value: str) -> str:
    """The policy's normalisation (NFC, line breaks as \\n) with no blank edges: what the forms,
    the entry workbook and the services store."""
    return policy.normalise(value or "").strip()


# --- numbers -------------------------------------------------------------------------------------


def parse_whole_number(value, *, minimum: int, maximum: int, label: str) -> int:
    """A whole number typed by a person or read from a file, within [minimum, maximum].

    Read as wardservice.text.read_whole_number reads it: an int, a float with no fraction, or
    text of ASCII or full-width digits ("²" is not one). Raises ValidationError with a Japanese message naming
    `label` and the range.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"{label}は必須です。", code="required")
    number = policy.read_whole_number(value)
    if number is None:
        raise ValidationError(
            f"{label}は整数で入力してください ({minimum}〜{maximum}。「{_shown(value)}」は数字ではありません)。",
            code="invalid",
        )
    if not minimum <= number <= maximum:
        raise ValidationError(
            f"{label}は{minimum}〜{maximum}の整数で入力してください (「{_shown(value)}」は範囲外です)。",
            code="range",
        )
    return number


def parse_goal_number(value, *, max_goals: int) -> int:
    """A 目標番号: 1 to the year's number of goals, as the editors' form offers them."""
    return parse_whole_number(value, minimum=1, maximum=max_goals, label="目標番号")


def _shown(value) -> str:
    return policy.as_one_line(str(value))[:20]
