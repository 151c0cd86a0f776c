"""The quick reading of text exports, a run of same-shaped blocks a column at a time, gives
exactly the records of the line-by-line reading, on text exports of every shape: plain blocks,
values over several lines, placeholders, headings, lines of spaces, keys twice, bad dates."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.reader.text_reader import TextMember, TextReader, line_chunks
from exports.reader.text_runs import BlockShape

WATCH_HISTORY = "TikTok/Your Activity/Watch History.txt"
CHAT = "TikTok/Direct Messages/Chat History with bob.smith.txt"
COMMENTS = "TikTok/Comments/Comments.txt"

# Shapes a file repeats, among them some that the column reading must leave alone: two date
# keys, one key twice, a key that names the conversation's field.
SHAPES = (
    ("Date", "Link", "Title"),
    ("Date", "Link"),
    ("Datum", "Link"),
    ("Link",),
    ("Date", "Username"),
    ("Date", "From", "Content"),
    ("Date", "Time", "Link"),
    ("Link", "Link"),
    ("Date", "conversation", "Content"),  # the very name the conversation goes under
    (" Date", "Video Link"),
    ("Date", "Link", "Title", "Username", "Comment"),
)
VALUES = st.sampled_from(
    (
        "2025-12-31 20:18:12 UTC",
        "2025-12-31 20:18:12",
        "2025-02-30 20:18:12 UTC",  # not a day
        "2025-12-31T20:18:12Z",
        "2025-12-31 20:18:12.123",  # as long as the text form, not it
        "1735675092",
        "N/A",
        "n/a",
        "n.v.t.",
        "None",
        "-",
        "",
        "   ",
        "cat",
        "https://www.tiktokv.com/share/video/7483300488189503192/",
        "see: this, a value with a colon",
        "  padded  ",
    )
) | st.text(alphabet="abc :\t", max_size=14)
ODD_LINES = st.sampled_from(
    (
        "Title:",  # a key with nothing
        "a second line of the value before",
        "   ",  # a line of spaces
        "Chat History with carol:",  # a conversation's heading
        "no colon at all",
        "x" * 81 + ": a key too long to be one",
        "Link:https://no.space/after/the/colon",
        "You have no data in this section",
    )
)


@st.composite
def plain_block(draw: st.DrawFn) -> str:
    keys = draw(st.sampled_from(SHAPES))
    return "\n".join(f"{key}: {draw(VALUES)}" for key in keys)


@st.composite
def odd_block(draw: st.DrawFn) -> str:
    lines = [f"{key}: {draw(VALUES)}" for key in draw(st.sampled_from(SHAPES))]
    for _ in range(draw(st.integers(1, 3))):
        lines.insert(draw(st.integers(0, len(lines))), draw(ODD_LINES))
    return "\n".join(lines)


@st.composite
def text_file(draw: st.DrawFn) -> str:
    """Blocks, mostly plain and often several of one shape in a row (a run), apart by one
    blank line, now and then two, or none."""
    blocks: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        block = draw(st.one_of(plain_block(), plain_block(), odd_block()))
        blocks += [block] * draw(st.integers(1, 4))
    parts = []
    for block in blocks:
        parts += [block, draw(st.sampled_from(("\n\n", "\n\n", "\n\n\n", "\n")))]
    return "".join(parts[: -1 if draw(st.booleans()) else None])


def read_file(name: str, text: str, *, by_columns: bool) -> tuple[list[tuple], list, object]:
    """The records (their fields in order) and sections of one file read by the reader."""
    member = TextMember(name, lambda: io.BytesIO(text.encode()))
    reader = TextReader([member], by_columns=by_columns)
    records = [(*record[:4], list(record.fields.items())) for record in reader.records()]
    sections = [(s.path, s.dataset, s.items) for s in reader.sections]
    return records, sections, reader.layout


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from((WATCH_HISTORY, CHAT, COMMENTS)), text=text_file())
def test_reading_by_columns_gives_the_records_of_reading_line_by_line(name: str, text: str) -> None:
    assert read_file(name, text, by_columns=True) == read_file(name, text, by_columns=False)


def test_a_big_file_read_by_columns_across_chunks_gives_the_same_records() -> None:
    block = "Date: 2025-12-31 20:18:12 UTC\nLink: https://www.tiktokv.com/v/{n}/\nTitle: {t}"
    blocks = [block.format(n=n, t="N/A" if n % 3 else f"video {n}") for n in range(40_000)]
    # Now and then a block of another kind, and one that runs across a chunk's end.
    for n in range(0, 40_000, 997):
        blocks[n] += "\nand a second line"
    text = "\n\n".join(blocks)
    assert len(text) > 3 * (1 << 20)

    by_columns = read_file(WATCH_HISTORY, text, by_columns=True)

    assert by_columns == read_file(WATCH_HISTORY, text, by_columns=False)
    assert len(by_columns[0]) == 40_000


def test_runs_of_plain_blocks_are_read_by_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    read_by_columns: list[int] = []
    read = BlockShape.read

    def counted(shape: BlockShape, lines: list[str], start: int, blocks: int, **kwargs):
        read_by_columns.append(blocks)
        return read(shape, lines, start, blocks, **kwargs)

    monkeypatch.setattr(BlockShape, "read", counted)
    text = "\n\n".join(f"Date: 2025-12-31 20:18:{n % 60:02} UTC\nLink: L{n}" for n in range(500))
    text += "\n\nDate: 2025-12-31 20:19:00 UTC\nLink: over\ntwo lines\n\nLink: last"

    records, _, _ = read_file(WATCH_HISTORY, text, by_columns=True)

    assert len(records) == 502
    assert sum(read_by_columns) == 500  # every plain block but the last, at the end of the file
    assert records[-2][4] == [("link", "over\ntwo lines")]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="ab: \n", max_size=200),
    chunk=st.integers(1, 40),
    longest_block=st.integers(1, 60),
)
def test_a_file_cut_into_chunks_keeps_every_line(text: str, chunk: int, longest_block: int) -> None:
    chunks = list(line_chunks(io.StringIO(text), chunk, longest_block))
    lines = [line for lines in chunks for line in lines]
    expected = text.split("\n") if text else []

    # The chunks hold the text's lines in order; a blank line may be dropped at the very end,
    # and a line longer than a block may be cut in parts.
    if all(len(line) < longest_block for line in expected):
        assert lines in (expected, expected[:-1])
    assert "".join(lines) == "".join(expected)


@given(text=st.text(alphabet="ab: \n", max_size=200), chunk=st.integers(1, 40))
def test_chunks_end_at_a_blank_line_so_that_blocks_are_whole(text: str, chunk: int) -> None:
    chunks = list(line_chunks(io.StringIO(text), chunk, 1 << 20))

    assert all(lines[-1] == "" for lines in chunks[:-1])
