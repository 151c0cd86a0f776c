"""Charts for the archive explorer, drawn on the server as SVG strings.

No JavaScript and no library: each function returns one ``<svg>`` element that a view marks
safe and puts in the page. Everything a person typed (search terms, user names) and every
caller's text is escaped here, so marking the result safe is safe.

Accessibility: the ``<svg>`` is ``role="img"`` and labelled by its own ``<title>`` and ``<desc>``
(ids built from ``chart_id``); every bar and cell carries a ``<title>`` (the tooltip,
"label: value"). Colours come only from the site's stylesheet, through the classes ``chart-bar``,
``chart-axis``, ``chart-grid``, ``chart-label``, ``chart-note``, ``chart-cell`` and
``heat-0`` … ``heat-5``; text is ``fill="currentColor"`` so it follows the page in light and dark.
Lines and bars have no stroke or fill of their own: the stylesheet must give them one.

Sizes are in viewBox units (640 wide) and the SVG scales to its container, so text is sized
in the same units and shrinks and grows with the chart.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Bar", "bar_chart", "heatmap", "horizontal_bar_chart", "nice_ticks", "plain_number"]

VIEW_WIDTH = 640
FONT_SIZE = 18
# The server cannot measure text: an average glyph of a system sans-serif is about this wide,
# a wide (CJK, emoji) one about a full em. Used only to leave room, never to cut text.
NARROW_GLYPH = 0.55 * FONT_SIZE
WIDE_GLYPH = 1.0 * FONT_SIZE
# A label column may not take more than this share of the width, whatever the labels hold.
MAX_LABEL_SHARE = 0.45
MAX_VALUE_SHARE = 0.25

BAR_CHART_HEIGHT = 300
BAR_PLOT_TOP = 12  # room for half of the top tick's label
BAR_PLOT_BOTTOM = 266  # below: the x labels
BAR_PLOT_RIGHT_MARGIN = 8
# Below this width a gap between bars would be thinner than a pixel and only blur them.
MIN_BAR_WIDTH_FOR_GAP = 8.0
BAR_GAP_SHARE = 0.2
X_LABEL_GAP = 2 * FONT_SIZE
X_LABEL_CHARACTERS = 20

ROW_HEIGHT = 30
ROW_BAR_THICKNESS = 20
ROW_LABEL_CHARACTERS = 28

CELL_HEIGHT = 24
CELL_GAP = 2
HEAT_LEVELS = 5  # heat-1 … heat-5; heat-0 is kept for exactly zero

TEXT_GAP = 8
EMPTY_TEXT = "Nothing to show yet."

_CHART_ID = re.compile(r"[a-z0-9-]+")
# Characters XML 1.0 forbids even escaped (control characters, lone surrogates from a broken
# JSON escape): one in a search term would make the page's SVG unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


@dataclass(frozen=True)
class Bar:
    """One bar: ``label`` is what a person reads, already localised ("3 Mar 2024");
    ``value`` is a finite number >= 0 (raises ValueError otherwise)."""

    label: str
    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value) or self.value < 0:
            raise ValueError(f"A bar's value must be a finite number >= 0, not {self.value!r}")


def plain_number(value: float) -> str:
    """Whole numbers without decimals ("1,234"), the rest with one ("2.5" hours)."""
    rounded = round(float(value), 1)
    if rounded.is_integer():
        return f"{rounded:,.0f}"
    return f"{rounded:,.1f}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    format_number: Callable[[float], str] = plain_number,
    max_labels: int = 8,
    empty_text: str = EMPTY_TEXT,
) -> str:
    """Vertical bars in order (days, weeks, months), from none to a few thousand.

    The tallest bar reaches the top of the plot; the y axis has 3-5 ticks on 1, 2, 5 x 10^k
    steps. At most ``max_labels`` x labels, evenly spaced, first and last always among them
    (fewer when that many would overlap). With no bars or only zeros, ``empty_text`` is added
    to the description and written on an empty plot. Raises ValueError for a bad ``chart_id``
    or ``max_labels`` below 2.
    """
    _check_chart_id(chart_id)
    if max_labels < 2:
        raise ValueError("max_labels must be at least 2: the first and the last bar")
    maximum = max((bar.value for bar in bars), default=0.0)
    ticks = nice_ticks(maximum)
    tick_labels = [format_number(tick) for tick in ticks]
    left = math.ceil(_room_for(tick_labels, MAX_LABEL_SHARE * VIEW_WIDTH)) + TEXT_GAP
    plot = _Plot(left, BAR_PLOT_TOP, VIEW_WIDTH - BAR_PLOT_RIGHT_MARGIN, BAR_PLOT_BOTTOM)
    body = [
        *_y_axis(plot, ticks, tick_labels, maximum),
        *_columns(plot, bars, maximum, format_number),
        *_x_labels(plot, [bar.label for bar in bars], max_labels),
    ]
    if maximum == 0:
        body.append(_note(plot, empty_text))
        description = _joined(description, empty_text)
    return _svg(
        "bar",
        chart_id,
        title=title,
        description=description,
        height=BAR_CHART_HEIGHT,
        aspect="xMidYMid meet",
        body=body,
    )


def horizontal_bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    format_number: Callable[[float], str] = plain_number,
    empty_text: str = EMPTY_TEXT,
) -> str:
    """Ranked bars, one row each, in the order given (the caller ranks them).

    The label is on the left, cut with an ellipsis past 28 characters (the full label is in
    the tooltip); the value is printed at the bar's end. The height grows with the rows. With
    no bars or only zeros, ``empty_text`` is added to the description and written in the chart.
    Raises ValueError for a bad ``chart_id``.
    """
    _check_chart_id(chart_id)
    maximum = max((bar.value for bar in bars), default=0.0)
    labels = [_shortened(bar.label, ROW_LABEL_CHARACTERS) for bar in bars]
    values = [format_number(bar.value) for bar in bars]
    label_width = math.ceil(_room_for(labels, MAX_LABEL_SHARE * VIEW_WIDTH))
    value_width = math.ceil(_room_for(values, MAX_VALUE_SHARE * VIEW_WIDTH)) + TEXT_GAP
    height = ROW_HEIGHT * max(len(bars), 1)
    plot = _Plot(label_width + TEXT_GAP, 0, VIEW_WIDTH - value_width, height)
    body = [_line("chart-axis", plot.left, plot.top, plot.left, plot.bottom)]
    body += _rows(plot, bars, labels, values, maximum)
    if maximum == 0:
        body.append(_note(plot, empty_text))
        description = _joined(description, empty_text)
    return _svg(
        "horizontal-bar",
        chart_id,
        title=title,
        description=description,
        height=height,
        aspect="xMinYMin meet",
        body=body,
    )


def heatmap(
    grid: Sequence[Sequence[float]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    chart_id: str,
    title: str,
    description: str,
    format_number: Callable[[float], str] = plain_number,
    label_every: int = 3,
    empty_text: str = EMPTY_TEXT,
) -> str:
    """A rows by columns grid (weekday by hour) of cells in the classes heat-0 … heat-5.

    heat-0 is for exactly 0; heat-1 … heat-5 split (0, max] into equal fifths, so the
    maximum is heat-5. Every row is labelled, and every ``label_every``-th column from the
    first. With only zeros, ``empty_text`` is added to the description. Raises ValueError when
    the grid's shape does not match the labels, for a value that is negative or not finite,
    for ``label_every`` below 1 and for a bad ``chart_id``.
    """
    _check_chart_id(chart_id)
    _check_grid(grid, row_labels, column_labels)
    if label_every < 1:
        raise ValueError("label_every must be at least 1")
    maximum = max((value for row in grid for value in row), default=0.0)
    shown_rows = [_shortened(label, ROW_LABEL_CHARACTERS) for label in row_labels]
    label_width = math.ceil(_room_for(shown_rows, MAX_LABEL_SHARE * VIEW_WIDTH))
    top = FONT_SIZE + TEXT_GAP
    plot = _Plot(label_width + TEXT_GAP, top, VIEW_WIDTH, top + CELL_HEIGHT * len(row_labels))
    body = [
        *_column_labels(plot, column_labels, label_every),
        *_row_labels(plot, shown_rows),
        *_cells(
            plot, grid, row_labels, column_labels, maximum=maximum, format_number=format_number
        ),
    ]
    if maximum == 0:
        description = _joined(description, empty_text)
    return _svg(
        "heatmap",
        chart_id,
        title=title,
        description=description,
        height=plot.bottom,
        aspect="xMinYMin meet",
        body=body,
    )


def nice_ticks(maximum: float) -> list[float]:
    """The y axis's ticks for values from 0 to ``maximum``: 3-5 of them, from 0, on a step of
    1, 2 or 5 x 10^k, none above ``maximum``. Just [0.0] for a maximum of 0, and [0, maximum]
    in the rare case no such step can be written as a float (a maximum near 1e-323)."""
    if maximum <= 0:
        return [0.0]
    exponent = math.floor(math.log10(maximum))
    for power in (exponent - 1, exponent):
        for mantissa in (1, 2, 5):
            # The smallest step that gives at most 5 ticks: the most grid lines to read by.
            count = _tick_count(maximum, mantissa, power)
            if 3 <= count <= 5:
                return [_scaled(mantissa * index, power) for index in range(count)]
    return [0.0, maximum]


def _shortened(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and "…" in ``limit``
    characters, never cut between an emoji and its modifiers or a letter and its accents."""
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and (_joins_previous(text[cut]) or text[cut - 1] in _JOINERS):
        cut -= 1
    return text[:cut].rstrip() + "…"


# --- Layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    """The area the data is drawn in, in viewBox units."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _y_axis(plot: _Plot, ticks: list[float], labels: list[str], maximum: float) -> Iterator[str]:
    texts = []
    for tick, label in zip(ticks, labels, strict=True):
        y = plot.bottom - (tick / maximum * plot.height if maximum else 0)
        if tick > 0:
            yield _line("chart-grid", plot.left, y, plot.right, y)
        texts.append(_text_at(plot.left - TEXT_GAP, y, label, anchor="end", middle=True))
    yield _line("chart-axis", plot.left, plot.top, plot.left, plot.bottom)
    yield _line("chart-axis", plot.left, plot.bottom, plot.right, plot.bottom)
    yield _label_group(texts)


def _columns(
    plot: _Plot, bars: Sequence[Bar], maximum: float, format_number: Callable[[float], str]
) -> Iterator[str]:
    if not bars:
        return
    slot = plot.width / len(bars)
    gap = slot * BAR_GAP_SHARE if slot >= MIN_BAR_WIDTH_FOR_GAP else 0.0
    for index, bar in enumerate(bars):
        # Rounded first, so that the bar's top plus its height is exactly the baseline.
        height = round(bar.value / maximum * plot.height, 2) if maximum else 0.0
        x = plot.left + index * slot + gap / 2
        tooltip = f"{bar.label}: {format_number(bar.value)}"
        yield _rect(
            "chart-bar", tooltip, x=x, y=plot.bottom - height, width=slot - gap, height=height
        )


def _x_labels(plot: _Plot, labels: list[str], max_labels: int) -> Iterator[str]:
    if not labels:
        return
    shown = [_shortened(label, X_LABEL_CHARACTERS) for label in labels]
    widest = _room_for(shown, plot.width)
    slot = plot.width / len(labels)
    texts = []
    for index in _evenly_spaced(
        len(labels), _labels_that_fit(plot, widest, len(labels), max_labels)
    ):
        # Kept whole inside the chart: the first and last bars sit on its edges.
        x = min(max(plot.left + (index + 0.5) * slot, widest / 2), VIEW_WIDTH - widest / 2)
        texts.append(_text_at(x, plot.bottom + FONT_SIZE + TEXT_GAP / 2, shown[index]))
    yield _label_group(texts)


def _labels_that_fit(plot: _Plot, widest: float, count: int, max_labels: int) -> int:
    """How many x labels to show: at most ``max_labels``, and no more than fit side by side
    between the first and the last bar's centres, but always those two."""
    if count == 1:
        return 1
    span = plot.width * (count - 1) / count
    return max(2, min(max_labels, count, 1 + math.floor(span / (widest + X_LABEL_GAP))))


def _evenly_spaced(count: int, wanted: int) -> list[int]:
    if wanted == 1:
        return [0]
    return sorted({round(step * (count - 1) / (wanted - 1)) for step in range(wanted)})


def _rows(
    plot: _Plot, bars: Sequence[Bar], labels: list[str], values: list[str], maximum: float
) -> Iterator[str]:
    texts = []
    for index, (bar, label, value) in enumerate(zip(bars, labels, values, strict=True)):
        top = index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = round(bar.value / maximum * plot.width, 2) if maximum else 0.0
        tooltip = f"{bar.label}: {value}"
        thickness_gap = (ROW_HEIGHT - ROW_BAR_THICKNESS) / 2
        yield _rect(
            "chart-bar",
            tooltip,
            x=plot.left,
            y=top + thickness_gap,
            width=length,
            height=ROW_BAR_THICKNESS,
        )
        full_label = bar.label if label != bar.label else None
        texts.append(
            _text_at(
                plot.left - TEXT_GAP, middle, label, anchor="end", middle=True, tooltip=full_label
            )
        )
        texts.append(
            _text_at(plot.left + length + TEXT_GAP / 2, middle, value, anchor="start", middle=True)
        )
    yield _label_group(texts)


def _check_grid(
    grid: Sequence[Sequence[float]], row_labels: Sequence[str], column_labels: Sequence[str]
) -> None:
    if len(grid) != len(row_labels):
        raise ValueError(f"The grid has {len(grid)} rows for {len(row_labels)} row labels")
    for number, row in enumerate(grid, start=1):
        if len(row) != len(column_labels):
            raise ValueError(
                f"Row {number} has {len(row)} cells for {len(column_labels)} column labels"
            )
        if any(not math.isfinite(value) or value < 0 for value in row):
            raise ValueError(f"Row {number} holds a value that is negative or not finite")


def _column_labels(plot: _Plot, labels: Sequence[str], every: int) -> Iterator[str]:
    width = plot.width / len(labels) if labels else 0.0
    texts = [
        _text_at(plot.left + (index + 0.5) * width, FONT_SIZE, label)
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    yield _label_group(texts)


def _row_labels(plot: _Plot, labels: Sequence[str]) -> Iterator[str]:
    texts = [
        _text_at(
            plot.left - TEXT_GAP,
            plot.top + (index + 0.5) * CELL_HEIGHT,
            label,
            anchor="end",
            middle=True,
        )
        for index, label in enumerate(labels)
    ]
    yield _label_group(texts)


def _cells(
    plot: _Plot,
    grid: Sequence[Sequence[float]],
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    *,
    maximum: float,
    format_number: Callable[[float], str],
) -> Iterator[str]:
    width = plot.width / len(column_labels) if column_labels else 0.0
    for row_index, (row, row_label) in enumerate(zip(grid, row_labels, strict=True)):
        y = plot.top + row_index * CELL_HEIGHT
        for column_index, (value, column_label) in enumerate(zip(row, column_labels, strict=True)):
            x = plot.left + column_index * width
            css_class = f"chart-cell heat-{_heat_level(value, maximum)}"
            tooltip = f"{row_label}, {column_label}: {format_number(value)}"
            yield _rect(
                css_class, tooltip, x=x, y=y, width=width - CELL_GAP, height=CELL_HEIGHT - CELL_GAP
            )


def _heat_level(value: float, maximum: float) -> int:
    if value == 0:
        return 0
    return min(HEAT_LEVELS, max(1, math.ceil(value / maximum * HEAT_LEVELS)))


def _note(plot: _Plot, text: str) -> str:
    """The empty text written across the plot, for those who see the chart, not its desc."""
    x = plot.left + plot.width / 2
    y = plot.top + plot.height / 2
    return _label_group([_text_at(x, y, text, middle=True)], css_class="chart-label chart-note")


# --- Numbers ----------------------------------------------------------------------------------


def _tick_count(maximum: float, mantissa: int, power: int) -> int:
    """How many ticks from 0 on a step of ``mantissa`` x 10^``power`` stay at or below
    ``maximum``: 0 when the step is no float at all."""
    step = _scaled(mantissa, power)
    if step <= 0 or not math.isfinite(step):
        return 0
    count = math.floor(maximum / step) + 1
    # The division rounds (0.3 / 0.1 is 2.9999999999999996): the ticks themselves decide.
    while _scaled(mantissa * count, power) <= maximum:
        count += 1
    while count > 1 and _scaled(mantissa * (count - 1), power) > maximum:
        count -= 1
    return count


def _scaled(whole: int, power: int) -> float:
    """``whole`` * 10^``power`` as the nearest float, and infinity past the largest one.
    Multiplying by a float step would not do: 15 * 0.2 is 3.0000000000000004, which
    plain_number shows as "3.0" beside ticks shown as "1" and "2"."""
    if power < 0:
        return whole / 10**-power
    try:
        return float(whole * 10**power)
    except OverflowError:
        return math.inf


def _room_for(texts: Sequence[str], limit: float) -> float:
    """An estimate of the widest text's width, at most ``limit``."""
    return min(limit, max((_estimated_width(text) for text in texts), default=0.0))


def _estimated_width(text: str) -> float:
    return sum(
        WIDE_GLYPH if unicodedata.east_asian_width(character) in "WF" else NARROW_GLYPH
        for character in text
    )


def _joins_previous(character: str) -> bool:
    """Whether a character belongs with the one before it (an accent, a joiner, a variation
    selector, a skin tone), so that a cut before it would break what a person sees."""
    return (
        unicodedata.combining(character) != 0
        or character in _JOINERS
        or "\U0001f3fb" <= character <= "\U0001f3ff"
    )


def _number(value: float) -> str:
    """A coordinate in at most two decimals: enough at any screen size, and a few thousand
    bars stay a reasonable number of bytes."""
    text = f"{value + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _joined(description: str, addition: str) -> str:
    return f"{description} {addition}" if description else addition


# --- SVG --------------------------------------------------------------------------------------


def _check_chart_id(chart_id: str) -> None:
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must be lowercase letters, digits and dashes, not {chart_id!r}")


def _escaped(text: str) -> str:
    # str(): a title may be a lazy translation, which a regular expression cannot read.
    return html.escape(_NOT_XML.sub("", str(text)), quote=True)


def _svg(
    kind: str,
    chart_id: str,
    *,
    title: str,
    description: str,
    height: float,
    aspect: str,
    body: list[str],
) -> str:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {VIEW_WIDTH} {_number(height)}"'
        f' width="100%" preserveAspectRatio="{aspect}">'
        f'<title id="{title_id}">{_escaped(title)}</title>'
        f'<desc id="{desc_id}">{_escaped(description)}</desc>'
        f"{''.join(body)}</svg>"
    )


def _line(css_class: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line class="{css_class}" x1="{_number(x1)}" y1="{_number(y1)}"'
        f' x2="{_number(x2)}" y2="{_number(y2)}"/>'
    )


def _rect(css_class: str, tooltip: str, *, x: float, y: float, width: float, height: float) -> str:
    return (
        f'<rect class="{css_class}" x="{_number(x)}" y="{_number(y)}"'
        f' width="{_number(max(width, 0.0))}" height="{_number(height)}">'
        f"<title>{_escaped(tooltip)}</title></rect>"
    )


def _text_at(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "middle",
    middle: bool = False,
    tooltip: str | None = None,
) -> str:
    """A text whose ``y`` is its baseline, or its vertical middle when ``middle`` (0.35em is
    where a line's middle sits; dominant-baseline is not read the same by every browser)."""
    shift = ' dy="0.35em"' if middle else ""
    title = f"<title>{_escaped(tooltip)}</title>" if tooltip else ""
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}"{shift}>'
        f"{title}{_escaped(text)}</text>"
    )


def _label_group(texts: list[str], css_class: str = "chart-label") -> str:
    return (
        f'<g class="{css_class}" fill="currentColor" font-size="{FONT_SIZE}">{"".join(texts)}</g>'
    )
