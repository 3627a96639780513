"""Horizontal bar charts as plain geometry, drawn as inline SVG by templates/reports/_bar_chart.html.

Rendered on the server: no script, no CDN, and the page prints and reads the same everywhere.
Every chart is shown beside a data table with the same numbers, and its SVG is named by a
<title> that states them, so nothing is only in the picture.
"""

from dataclasses import dataclass

from reports.exporters.xlsx import display_width

FONT_SIZE = 14  # px; a full-width character is about this wide, a half-width one half
ROW_HEIGHT = 30
BAR_HEIGHT = 18
PADDING = 8
BAR_AREA = 360  # px for the longest bar
VALUE_ROOM = 56  # px right of the longest bar for its number
LABEL_GAP = 8
MAX_LABEL_WIDTH = 30  # display units (full-width characters count two); longer labels are cut
MIN_LABEL_WIDTH = 8


@dataclass(frozen=True)
class Count:
    label: str
    value: int


@dataclass(frozen=True)
class ChartBar:
    label: str  # as drawn (cut to fit); the data table has the full label
    value: int
    y: int  # top of the bar
    text_y: int  # baseline-centre of the bar's texts
    length: int
    value_x: int


@dataclass(frozen=True)
class BarChart:
    id: str  # prefix of the element ids
    title: str
    label_heading: str  # the data table's header cells
    value_heading: str
    unit: str
    counts: tuple[Count, ...]
    bars: tuple[ChartBar, ...]
    label_x: int
    bar_x: int
    width: int
    height: int

    @property
    def summary(self) -> str:
        """The chart in words: its title and every number (the SVG's accessible name)."""
        values = "、".join(f"{c.label} {c.value}{self.unit}" for c in self.counts)
        return f"{self.title}: {values}" if values else f"{self.title}: データなし"

    @property
    def total(self) -> int:
        return sum(c.value for c in self.counts)


def bar_chart(*, id, title, counts, label_heading, value_heading="件数", unit="件") -> BarChart:
    """The geometry of a horizontal bar chart of the counts, in their order."""
    counts = tuple(counts)
    label_units = max(
        [MIN_LABEL_WIDTH, *(min(display_width(c.label), MAX_LABEL_WIDTH) for c in counts)]
    )
    bar_x = label_units * FONT_SIZE // 2 + 2 * LABEL_GAP
    top = max([c.value for c in counts] + [1])
    bars = []
    for i, count in enumerate(counts):
        y = PADDING + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) // 2
        length = round(count.value / top * BAR_AREA)
        bars.append(
            ChartBar(
                label=_fit(count.label),
                value=count.value,
                y=y,
                text_y=y + BAR_HEIGHT // 2,
                length=length,
                value_x=bar_x + length + LABEL_GAP,
            )
        )
    return BarChart(
        id=id,
        title=title,
        label_heading=label_heading,
        value_heading=value_heading,
        unit=unit,
        counts=counts,
        bars=tuple(bars),
        label_x=bar_x - LABEL_GAP,
        bar_x=bar_x,
        width=bar_x + BAR_AREA + VALUE_ROOM,
        height=2 * PADDING + len(counts) * ROW_HEIGHT,
    )


def _fit(label: str) -> str:
    """The label cut with "…" so that it fits the label column."""
    if display_width(label) <= MAX_LABEL_WIDTH:
        return label
    cut = ""
    for char in label:
        if display_width(cut + char) > MAX_LABEL_WIDTH - 2:
            break
        cut += char
    return cut + "…"
