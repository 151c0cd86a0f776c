"""The explorer's SVG charts, read back as XML: what a person sees (bars in proportion, labels
that fit, ticks on round numbers) and what a screen reader and the page rely on (a title and a
desc that label the chart, escaped text, a viewBox that scales)."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.charts import (
    Bar,
    bar_chart,
    heatmap,
    horizontal_bar_chart,
    nice_ticks,
    plain_number,
)

SVG = "{http://www.w3.org/2000/svg}"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HOURS = [f"{hour:02d}:00" for hour in range(24)]


def parsed(svg: str) -> ET.Element:
    """The chart as XML, which it must be. The text is the charts' own output, not a
    stranger's: the standard library's parser is safe for it."""
    return ET.fromstring(svg)  # noqa: S314


def chart(bars: list[Bar], **options) -> ET.Element:
    return parsed(bar_chart(bars, chart_id="views", title="T", description="D", **options))


def ranking(bars: list[Bar]) -> ET.Element:
    svg = horizontal_bar_chart(bars, chart_id="searches", title="T", description="D")
    return parsed(svg)


def week(grid: list[list[float]], **options) -> ET.Element:
    svg = heatmap(
        grid,
        row_labels=WEEKDAYS,
        column_labels=HOURS,
        chart_id="hours",
        title="T",
        description="D",
        **options,
    )
    return parsed(svg)


def bars_in(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if "chart-bar" in rect.get("class", "")]


def cells_in(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if "chart-cell" in rect.get("class", "")]


def plot_top_and_bottom(root: ET.Element) -> tuple[float, float]:
    """The plot's extent, read off the y axis: the one vertical axis line."""
    (axis,) = [
        line
        for line in root.iter(f"{SVG}line")
        if line.get("class") == "chart-axis" and line.get("x1") == line.get("x2")
    ]
    return float(axis.get("y1")), float(axis.get("y2"))


def height_of(rect: ET.Element) -> float:
    return float(rect.get("height"))


def tooltip_of(element: ET.Element) -> str:
    return element.find(f"{SVG}title").text


def texts_in(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def shown_text(text: ET.Element) -> str:
    """What a <text> shows: its own text, without the <title> it may hold for a tooltip."""
    title = text.find(f"{SVG}title")
    return title.tail if title is not None else text.text


def x_labels_in(root: ET.Element) -> list[str]:
    _, bottom = plot_top_and_bottom(root)
    return [shown_text(text) for text in texts_in(root) if float(text.get("y")) > bottom]


def y_labels_in(root: ET.Element) -> list[str]:
    return [shown_text(text) for text in texts_in(root) if text.get("text-anchor") == "end"]


# --- Bar chart ---------------------------------------------------------------------------------


def test_each_bar_is_one_rect_whose_height_is_in_proportion_to_its_value() -> None:
    values = [3.0, 12.0, 0.0, 7.5, 1.0]

    bars = bars_in(chart([Bar(f"Day {n}", value) for n, value in enumerate(values)]))

    assert len(bars) == len(values)
    tallest = height_of(bars[1])
    for bar, value in zip(bars, values, strict=True):
        assert height_of(bar) == pytest.approx(tallest * value / 12.0, abs=0.01)


def test_the_tallest_bar_reaches_the_top_of_the_plot_and_every_bar_stands_on_its_bottom() -> None:
    root = chart([Bar("Mon", 4), Bar("Tue", 9), Bar("Wed", 2)])
    top, bottom = plot_top_and_bottom(root)

    bars = bars_in(root)

    assert float(bars[1].get("y")) == pytest.approx(top)
    for bar in bars:
        assert float(bar.get("y")) + height_of(bar) == pytest.approx(bottom)


def test_each_bar_has_a_tooltip_with_its_label_and_its_formatted_value() -> None:
    root = chart([Bar("3 Mar 2024", 1234), Bar("4 Mar 2024", 2.5)])

    assert [tooltip_of(bar) for bar in bars_in(root)] == ["3 Mar 2024: 1,234", "4 Mar 2024: 2.5"]


def test_a_label_that_looks_like_markup_appears_only_escaped() -> None:
    svg = bar_chart(
        [Bar('<script>&"', 1)], chart_id="views", title="<b>Views</b>", description="Tom & Jerry"
    )

    root = parsed(svg)

    assert "<script" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;&amp;&quot;" in svg
    assert tooltip_of(bars_in(root)[0]) == '<script>&": 1'
    assert x_labels_in(root) == ['<script>&"']
    assert root.find(f"{SVG}title").text == "<b>Views</b>"


def test_characters_that_xml_forbids_are_left_out_rather_than_breaking_the_page() -> None:
    svg = bar_chart(
        [Bar("tab\x00bed\x1f \ud83d search", 1)], chart_id="views", title="T", description="D"
    )

    assert tooltip_of(bars_in(parsed(svg))[0]) == "tabbed  search: 1"


def test_no_bars_draw_an_empty_axis_and_the_desc_says_there_is_nothing() -> None:
    svg = bar_chart(
        [],
        chart_id="views",
        title="Videos watched",
        description="Per day.",
        empty_text="No videos watched in this period.",
    )

    root = parsed(svg)

    assert bars_in(root) == []
    assert root.find(f"{SVG}desc").text == "Per day. No videos watched in this period."
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-axis"]) == 2
    assert "No videos watched in this period." in [shown_text(text) for text in texts_in(root)]


def test_bars_that_are_all_zero_are_drawn_flat_and_the_desc_says_there_is_nothing() -> None:
    root = chart([Bar("Mon", 0), Bar("Tue", 0)], empty_text="Nothing here.")

    assert [height_of(bar) for bar in bars_in(root)] == [0, 0]
    assert root.find(f"{SVG}desc").text == "D Nothing here."


def test_bars_with_values_say_nothing_about_being_empty() -> None:
    root = chart([Bar("Mon", 1)], empty_text="Nothing here.")

    assert root.find(f"{SVG}desc").text == "D"


def test_two_thousand_bars_show_at_most_max_labels_x_labels_the_first_and_last_among_them() -> None:
    days = [Bar(f"Day {number}", number % 17) for number in range(2000)]

    root = chart(days, max_labels=6)
    labels = x_labels_in(root)

    assert len(bars_in(root)) == 2000
    assert 2 <= len(labels) <= 6
    assert labels[0] == "Day 0"
    assert labels[-1] == "Day 1999"


def test_many_bars_fill_the_plot_without_gaps() -> None:
    bars = bars_in(chart([Bar(f"Day {number}", 1 + number % 5) for number in range(2000)]))

    for bar, following in itertools.pairwise(bars):
        right_edge = float(bar.get("x")) + float(bar.get("width"))
        assert right_edge == pytest.approx(float(following.get("x")), abs=0.011)


def test_a_few_bars_stand_apart() -> None:
    bars = bars_in(chart([Bar("Jan", 1), Bar("Feb", 2), Bar("Mar", 3)]))

    right_edge = float(bars[0].get("x")) + float(bars[0].get("width"))
    assert float(bars[1].get("x")) - right_edge > 1


def test_a_few_bars_each_get_their_x_label() -> None:
    root = chart([Bar("Jan", 1), Bar("Feb", 2), Bar("Mar", 3)])

    assert x_labels_in(root) == ["Jan", "Feb", "Mar"]


def test_a_single_bar_gets_its_label() -> None:
    assert x_labels_in(chart([Bar("March 2024", 5)])) == ["March 2024"]


def test_fewer_x_labels_than_asked_are_shown_when_that_many_would_overlap() -> None:
    days = [Bar(f"{number} March 2024", 1) for number in range(1, 31)]

    labels = x_labels_in(chart(days, max_labels=30))

    assert 2 <= len(labels) < 30
    assert (labels[0], labels[-1]) == ("1 March 2024", "30 March 2024")


def test_max_labels_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="max_labels"):
        bar_chart([Bar("Mon", 1)], chart_id="views", title="T", description="D", max_labels=1)


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (7, [0, 2, 4, 6]),
        (1234, [0, 500, 1000]),
        (0.5, [0, 0.2, 0.4]),
        (10, [0, 5, 10]),
        (0.3, [0, 0.1, 0.2, 0.3]),
        (0, [0]),
    ],
)
def test_nice_ticks_are_three_to_five_round_steps_from_zero(
    maximum: float, ticks: list[float]
) -> None:
    assert nice_ticks(maximum) == ticks


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_nice_ticks_for_any_maximum_are_round_and_never_above_it(maximum: float) -> None:
    ticks = nice_ticks(maximum)
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))

    assert 3 <= len(ticks) <= 5
    assert ticks[-1] <= maximum
    assert any(mantissa == pytest.approx(nice) for nice in (1, 2, 5))


def test_the_y_axis_labels_its_ticks_with_format_number_and_draws_a_grid_line_for_each() -> None:
    root = chart([Bar("Mon", 1234), Bar("Tue", 600)], format_number=lambda value: f"{value:.0f}")

    grid_lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-grid"]

    assert y_labels_in(root) == ["0", "500", "1000"]
    assert len(grid_lines) == 2
    assert tooltip_of(bars_in(root)[0]) == "Mon: 1234"


def test_the_default_format_shows_whole_numbers_without_decimals_and_others_with_one() -> None:
    assert plain_number(1234) == "1,234"
    assert plain_number(1234.0) == "1,234"
    assert plain_number(2.5) == "2.5"
    assert plain_number(0.44) == "0.4"
    assert plain_number(2.96) == "3"


@pytest.mark.parametrize("value", [-1, math.nan, math.inf])
def test_a_bar_refuses_a_value_that_is_negative_or_not_finite(value: float) -> None:
    with pytest.raises(ValueError, match="finite number >= 0"):
        Bar("Mon", value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=0, allow_nan=False, allow_infinity=False), max_size=300))
def test_any_non_negative_values_give_well_formed_svg_with_one_bar_each_inside_the_plot(
    values: list[float],
) -> None:
    root = chart([Bar(f"Day {number}", value) for number, value in enumerate(values)])
    top, bottom = plot_top_and_bottom(root)

    bars = bars_in(root)

    assert len(bars) == len(values)
    for bar in bars:
        assert height_of(bar) <= bottom - top
        assert float(bar.get("y")) >= top


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=20))
def test_any_labels_give_well_formed_svg_for_every_kind_of_chart(labels: list[str]) -> None:
    bars = [Bar(label, 1) for label in labels]

    vertical = chart(bars)
    horizontal = ranking(bars)
    grid = heatmap(
        [[1.0] * len(labels)],
        row_labels=labels[:1],
        column_labels=labels,
        chart_id="grid",
        title=labels[0],
        description=labels[-1],
    )

    assert len(bars_in(vertical)) == len(labels)
    assert len(bars_in(horizontal)) == len(labels)
    assert len(cells_in(parsed(grid))) == len(labels)


# --- Horizontal bar chart ------------------------------------------------------------------------


def test_a_label_past_28_characters_is_cut_with_an_ellipsis_and_whole_in_the_tooltip() -> None:
    search = "how to make sourdough bread at home without a starter"

    root = ranking([Bar(search, 12), Bar("cats", 3)])

    row_labels = [shown_text(text) for text in texts_in(root) if text.get("text-anchor") == "end"]
    assert row_labels[0] == "how to make sourdough bread…"
    assert len(row_labels[0]) == 28
    assert tooltip_of(bars_in(root)[0]) == f"{search}: 12"
    assert row_labels[1] == "cats"


def test_a_label_of_exactly_28_characters_is_shown_whole() -> None:
    label = "a" * 28

    root = ranking([Bar(label, 1)])

    assert label in [shown_text(text) for text in texts_in(root)]
    assert "…" not in ET.tostring(root, encoding="unicode")


def test_an_emoji_is_never_cut_in_half() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
    label = "a" * 25 + family + " forever"

    root = ranking([Bar(label, 1)])

    (shown,) = [shown_text(text) for text in texts_in(root) if text.get("text-anchor") == "end"]
    assert shown == "a" * 25 + "…"


def test_each_row_prints_its_value_at_the_end_of_its_bar() -> None:
    root = ranking([Bar("phone", 40), Bar("tablet", 10)])

    values = {
        shown_text(text): text for text in texts_in(root) if text.get("text-anchor") == "start"
    }
    for bar, value in zip(bars_in(root), ["40", "10"], strict=True):
        bar_end = float(bar.get("x")) + float(bar.get("width"))
        assert float(values[value].get("x")) > bar_end


def test_horizontal_bars_have_lengths_in_proportion_to_their_values() -> None:
    widths = [float(bar.get("width")) for bar in bars_in(ranking([Bar("a", 40), Bar("b", 10)]))]

    assert widths[1] == pytest.approx(widths[0] / 4, abs=0.01)


def test_the_ranking_grows_taller_with_each_row() -> None:
    def height(rows: int) -> float:
        return float(ranking([Bar(f"r{n}", n) for n in range(rows)]).get("viewBox").split()[3])

    assert height(1) < height(5) < height(20)
    assert height(20) - height(5) == pytest.approx(3 * (height(10) - height(5)))


def test_an_empty_ranking_is_a_valid_svg_that_says_so() -> None:
    svg = horizontal_bar_chart(
        [], chart_id="searches", title="T", description="D", empty_text="No searches."
    )

    root = parsed(svg)

    assert bars_in(root) == []
    assert root.find(f"{SVG}desc").text == "D No searches."


# --- Heatmap -------------------------------------------------------------------------------------


def test_a_zero_cell_is_heat_0_and_the_busiest_is_heat_5() -> None:
    grid = [[0.0] * 24 for _ in WEEKDAYS]
    grid[2][21] = 30.0
    grid[4][8] = 1.0

    cells = cells_in(week(grid))

    assert len(cells) == 7 * 24
    assert "heat-5" in cells[2 * 24 + 21].get("class").split()
    assert "heat-1" in cells[4 * 24 + 8].get("class").split()
    assert "heat-0" in cells[0].get("class").split()
    assert sum("heat-0" in cell.get("class").split() for cell in cells) == 7 * 24 - 2


def test_heat_levels_split_the_range_up_to_the_maximum_in_equal_fifths() -> None:
    values = [0, 0.5, 2, 2.1, 4, 5, 6, 7.9, 8.1, 10] + [0] * 14
    grid = [values] + [[0.0] * 24 for _ in WEEKDAYS[1:]]

    cells = cells_in(week(grid))[:10]

    levels = [next(c for c in cell.get("class").split() if c.startswith("heat-")) for cell in cells]
    assert levels == [f"heat-{n}" for n in (0, 1, 1, 2, 2, 3, 3, 4, 5, 5)]


def test_each_cell_has_a_tooltip_naming_its_row_column_and_value() -> None:
    grid = [[0.0] * 24 for _ in WEEKDAYS]
    grid[0][14] = 2.5

    cells = cells_in(week(grid))

    assert tooltip_of(cells[14]) == "Monday, 14:00: 2.5"


def test_every_row_and_every_third_column_is_labelled() -> None:
    root = week([[1.0] * 24 for _ in WEEKDAYS])

    shown = [shown_text(text) for text in texts_in(root)]

    assert [label for label in shown if label in WEEKDAYS] == WEEKDAYS
    assert [label for label in shown if label in HOURS] == HOURS[::3]


def test_label_every_chooses_which_columns_are_labelled() -> None:
    root = week([[1.0] * 24 for _ in WEEKDAYS], label_every=6)

    shown = [shown_text(text) for text in texts_in(root)]

    assert [label for label in shown if label in HOURS] == ["00:00", "06:00", "12:00", "18:00"]


def test_an_all_zero_heatmap_says_so_in_its_desc() -> None:
    root = week([[0.0] * 24 for _ in WEEKDAYS], empty_text="No activity.")

    assert root.find(f"{SVG}desc").text == "D No activity."
    assert all("heat-0" in cell.get("class").split() for cell in cells_in(root))


@pytest.mark.parametrize(
    "grid",
    [
        [[1.0] * 24 for _ in range(6)],
        [[1.0] * 23 for _ in WEEKDAYS],
        [[1.0] * 24 for _ in range(6)] + [[1.0] * 25],
    ],
    ids=["a row missing", "a column missing", "one row too long"],
)
def test_a_grid_whose_shape_does_not_match_its_labels_is_refused(grid: list[list[float]]) -> None:
    with pytest.raises(ValueError, match="labels"):
        week(grid)


def test_a_negative_cell_is_refused() -> None:
    grid = [[1.0] * 24 for _ in WEEKDAYS]
    grid[3][3] = -1.0

    with pytest.raises(ValueError, match="negative"):
        week(grid)


# --- Every chart ---------------------------------------------------------------------------------


TWO_DAYS = [Bar("Mon", 1), Bar("Tue", 2)]
KINDS = {
    "bar": lambda **heading: bar_chart(TWO_DAYS, **heading),
    "horizontal-bar": lambda **heading: horizontal_bar_chart(TWO_DAYS, **heading),
    "heatmap": lambda **heading: heatmap(
        [[1.0, 2.0]], row_labels=["Mon"], column_labels=["0", "1"], **heading
    ),
}


def drawn(kind: str, chart_id: str) -> str:
    return KINDS[kind](chart_id=chart_id, title="Logins", description="Per day of the week.")


@pytest.mark.parametrize("kind", KINDS)
def test_the_chart_is_an_image_labelled_by_its_own_title_and_desc(kind: str) -> None:
    root = parsed(drawn(kind, "logins-2024"))

    title, desc = root[0], root[1]
    assert root.get("role") == "img"
    assert (title.tag, title.get("id"), title.text) == (
        f"{SVG}title",
        "logins-2024-title",
        "Logins",
    )
    assert (desc.tag, desc.get("id"), desc.text) == (
        f"{SVG}desc",
        "logins-2024-desc",
        "Per day of the week.",
    )
    assert root.get("aria-labelledby") == "logins-2024-title logins-2024-desc"


@pytest.mark.parametrize("kind", KINDS)
def test_the_chart_scales_with_its_container_and_gets_its_colours_from_the_stylesheet(
    kind: str,
) -> None:
    svg = drawn(kind, "logins")
    root = parsed(svg)

    assert root.get("class") == f"chart chart-{kind}"
    assert root.get("viewBox").startswith("0 0 640 ")
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio").endswith(" meet")
    assert "px" not in svg
    assert "style" not in svg
    fills = {element.get("fill") for element in root.iter() if element.get("fill")}
    assert fills == {"currentColor"}
    assert not [element for element in root.iter() if element.get("stroke")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chart_id", ["", "Logins", "logins 2024", 'x" onload="alert(1)', "über"])
def test_a_chart_id_other_than_lowercase_letters_digits_and_dashes_is_refused(
    kind: str, chart_id: str
) -> None:
    with pytest.raises(ValueError, match="chart_id"):
        drawn(kind, chart_id)
