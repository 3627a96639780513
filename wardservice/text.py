"""The text policy of every stored text field (DESIGN §2), as plain functions.

Normalised, silently, because it changes nothing a reader sees:
  - Unicode NFC (an "が" typed as "か" + combining mark is stored as the one character);
  - line breaks as LF (CR LF and a lone CR become LF).

Refused, with a Japanese message naming the character, because a reader cannot see it and it
changes what is printed, searched or saved as a file:
  - control characters (C0, DEL, C1) other than tab and line feed;
  - format characters (Unicode category Cf): the bidirectional marks, embeddings, overrides and
    isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) that make 「区民\\u202e課gnp.exe」
    print as 「区民exe.png課」, the zero-width characters (U+200B–U+200D, U+2060, U+FEFF), the soft
    hyphen and the rest of the category (U+200D ZWJ joins some emoji sequences: an official
    table does without them);
  - the line and paragraph separators U+2028 and U+2029 (a line break is LF);
  - what is not a character at all: surrogates and noncharacters (U+FDD0–U+FDEF, U+FFFE, U+FFFF
    and their twins in every plane), which XML, and so XLSX and the PDF's tags, cannot hold;
  - in one-line text (names, codes, labels), tab and line feed as well.

Everything else is allowed, among it the variation selectors (U+FE00–U+FE0F and the ideographic
variation sequences' U+E0100–U+E01EF, as in 葛󠄀) that choose a kanji's printed form, and private
use characters (外字).

This module imports nothing from Django, so that the published-text parser can use it; the model
fields that apply it on every write are in wardservice.fields.
"""

import re
import unicodedata

# Kept apart from the rest because of what they do to the text around them (see above).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # \r included: a checked text has been normalised
# Unicode category Cf, as of Unicode 15.1 (tests check it against the running Python's tables).
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_SEPARATORS = "\u2028\u2029"
_NOT_CHARACTERS = "\ud800-\udfff\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
)

REFUSED = re.compile(f"[{_CONTROL}{_FORMAT}{_SEPARATORS}{_NOT_CHARACTERS}]")
REFUSED_IN_A_LINE = re.compile(f"[\t\n{_CONTROL}{_FORMAT}{_SEPARATORS}{_NOT_CHARACTERS}]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH}]")
_NOT_CHARACTER = re.compile(f"[{_NOT_CHARACTERS}]")

LINE_BREAK_MESSAGE = "改行やタブは使えません。1行で入力してください。"
CONTROL_MESSAGE = "制御文字 (目に見えない特殊な文字) が含まれています。削除してください。"


def normalise(text: str) -> str:
    """NFC, line breaks as LF. Idempotent; what every stored text field holds."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def refused_character(text: str, *, one_line=False) -> str | None:
    """The first character of the (normalised) text that the policy refuses, or None."""
    found = (REFUSED_IN_A_LINE if one_line else REFUSED).search(text or "")
    return found.group() if found else None


def text_problem(text: str, *, one_line=False) -> tuple[str, str] | None:
    """(Japanese message, code) refusing the text once normalised, or None when it is accepted."""
    character = refused_character(normalise(text or ""), one_line=one_line)
    if character is None:
        return None
    if character in "\t\n":
        return LINE_BREAK_MESSAGE, "line"
    if unicodedata.category(character) == "Cc":
        return CONTROL_MESSAGE, "control"
    kind, code = _kind(character)
    seen = "" if code == "not_character" else "、目に見えない特殊な文字"
    return f"{kind} (U+{ord(character):04X}{seen}) が含まれています。削除してください。", code


def _kind(character):
    if _BIDI.fullmatch(character):
        return "文字の向きを変える制御文字", "bidi"
    if _ZERO_WIDTH.fullmatch(character):
        return "幅のない文字", "zero_width"
    if _NOT_CHARACTER.fullmatch(character):
        return "文字として扱えない符号", "not_character"
    if character in _SEPARATORS:
        return "改行以外の区切り文字", "separator"
    return "書式制御文字", "format"


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# ASCII digits only: str.isdigit() also takes "²" and "𐩀", which int() refuses. A hundred at most
# keeps int() far from its guard against huge numbers (4300 digits); a caller's range decides the
# rest, so "99999999999999999999" is a number out of range, not a crash.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,100}")


def read_whole_number(value) -> int | None:
    """A whole number as typed or as a file holds it, or None: an int, a float without a fraction
    (Excel keeps numbers so), or text of ASCII or full-width digits with blank edges. The one
    reading of numbers behind goals.validators.parse_whole_number and the published-text parser."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        digits = value.strip().translate(_FULL_WIDTH_DIGITS)
        return int(digits) if _WHOLE_NUMBER.fullmatch(digits) else None
    return None


def remove_refused(text: str) -> str:
    """The (normalised) text without the characters the policy refuses in multi-line text.

    For what is printed from data stored before the policy held, and for text the system writes
    itself (an error's message, an uploaded file's name), where refusing would help nobody.
    """
    return REFUSED.sub("", normalise(text or ""))


def as_one_line(text: str) -> str:
    """remove_refused, with line breaks and tabs as spaces: a file name, a title."""
    return " ".join(remove_refused(text).replace("\t", " ").split("\n")).strip()
