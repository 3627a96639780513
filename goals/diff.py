"""What changed in a sheet since it was returned: readable text diffs and a goal-by-goal comparison.

Japanese has no spaces between words, so a word diff is meaningless and a line diff marks whole
paragraphs; the diff works on characters and then absorbs the one- or two-character islands of
"unchanged" text (particles, punctuation) that make a character diff unreadable.
"""

from dataclasses import dataclass, field
from difflib import SequenceMatcher

EQUAL, INSERT, DELETE = "equal", "insert", "delete"

# Unchanged runs this short between two changes are shown as part of the change.
_ISLAND = 2

_PLAN_FIELDS = (("objective", "目標"), ("actions", "具体的な取組内容"))
_RESULT_FIELDS = (
    ("done", "実施結果"),
    ("rating", "達成度評価"),
    ("achievement", "目標の達成度"),
    ("omitted_reason", "省略の理由"),
)


@dataclass(frozen=True)
class Segment:
    kind: str  # EQUAL, INSERT or DELETE
    text: str


def text_diff(old: str, new: str) -> list[Segment]:
    """Segments that turn old into new, deletions before insertions within each change."""
    old, new = old or "", new or ""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    chunks = []  # ("equal", text) or ("change", deleted, inserted)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            chunks.append((EQUAL, old[i1:i2]))
        else:
            chunks.append(("change", old[i1:i2], new[j1:j2]))
    return _segments(_absorb_islands(chunks))


def _absorb_islands(chunks):
    """Merge change, short equal, change into one change (and adjacent changes into one)."""
    merged = []
    for chunk in chunks:
        if chunk[0] == "change" and merged and merged[-1][0] == "change":
            _, deleted, inserted = merged.pop()
            chunk = ("change", deleted + chunk[1], inserted + chunk[2])
        elif (
            chunk[0] == "change"
            and len(merged) >= 2
            and merged[-1][0] == EQUAL
            and len(merged[-1][1]) <= _ISLAND
            and merged[-2][0] == "change"
        ):
            island = merged.pop()[1]
            _, deleted, inserted = merged.pop()
            chunk = ("change", deleted + island + chunk[1], inserted + island + chunk[2])
        merged.append(chunk)
    return merged


def _segments(chunks):
    segments = []
    for chunk in chunks:
        if chunk[0] == EQUAL:
            segments.append(Segment(EQUAL, chunk[1]))
            continue
        if chunk[1]:
            segments.append(Segment(DELETE, chunk[1]))
        if chunk[2]:
            segments.append(Segment(INSERT, chunk[2]))
    return segments


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    segments: list[Segment]

    @property
    def changed(self):
        return self.old != self.new


@dataclass
class GoalChange:
    """One goal compared by its number: added, removed, changed or unchanged."""

    number: int
    kind: str  # "added", "removed", "changed", "unchanged"
    fields: list[FieldChange] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)

    @property
    def changed_fields(self):
        return [f for f in self.fields if f.changed]

    @property
    def label(self):
        return {
            "added": "追加された目標",
            "removed": "削除された目標",
            "changed": "変更あり",
            "unchanged": "変更なし",
        }[self.kind]


def content_changes(old: dict, new: dict, *, with_results: bool) -> list[GoalChange]:
    """Compare two sheet contents (goals.selectors.sheet_content shape), goal by goal in number order."""
    old_goals = {g["number"]: g for g in old.get("goals", [])}
    new_goals = {g["number"]: g for g in new.get("goals", [])}
    changes = []
    for number in sorted(old_goals.keys() | new_goals.keys()):
        before, after = old_goals.get(number), new_goals.get(number)
        kind = "added" if before is None else "removed" if after is None else None
        change = _goal_change(number, before or _EMPTY_GOAL, after or _EMPTY_GOAL, with_results)
        if kind:
            change.kind = kind
        changes.append(change)
    return changes


_EMPTY_GOAL = {"categories": [], "objective": "", "actions": "", "result": None}


def _goal_change(number, before, after, with_results):
    fields = [_field(label, before.get(key), after.get(key)) for key, label in _PLAN_FIELDS]
    if with_results:
        old_result, new_result = before.get("result") or {}, after.get("result") or {}
        fields += [
            _field(label, old_result.get(key), new_result.get(key)) for key, label in _RESULT_FIELDS
        ]
    old_tags, new_tags = set(before.get("categories", [])), set(after.get("categories", []))
    change = GoalChange(
        number=number,
        kind="unchanged",
        fields=fields,
        tags_added=sorted(new_tags - old_tags),
        tags_removed=sorted(old_tags - new_tags),
    )
    if change.changed_fields or change.tags_added or change.tags_removed:
        change.kind = "changed"
    return change


def _field(label, old, new):
    old, new = old or "", new or ""
    return FieldChange(label=label, old=old, new=new, segments=text_diff(old, new))
