"""The syntax of a text export: records of ``Key: value`` lines, separated by a blank line.

A list becomes one record per item, a map one record, an empty section the language's no-data
line. Keys are the JSON keys with a capital first letter, then as the file and its language
spell them (``Date`` is ``Datum`` in Dutch, ``Creation Time`` in the Reposts). Dates carry the
`` UTC`` suffix TikTok writes in text; an empty string is ``N/A`` and nothing is ``None``. A
nested value is written as compact JSON on its line (how TikTok spells those in text is not
documented). Direct messages are one file: per chat, a ``Chat History with <username>:`` line,
then that chat's records; chats are separated by a blank line.

Each writer returns a file as (head, tail): a sized archive's filler goes between the two, right
after the last record of the section (for chats: of the first chat).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiktok_sandbox.archives.items import Item

RECORD_SEPARATOR = "\n\n"
UTC_SUFFIX = " UTC"
DATE_KEY = "Date"  # capitalised; "date" in some sections


@dataclass(frozen=True)
class Language:
    """What a text export's language changes in every file: the no-data line and key names."""

    no_data: str
    keys: Mapping[str, str] = field(default_factory=dict)


ENGLISH = Language("You have no data in this section")
DUTCH = Language("Je hebt geen gegevens in dit gedeelte", {DATE_KEY: "Datum"})


@dataclass(frozen=True)
class Writer:
    """How one text file is written: its language, and the keys it spells its own way
    (capitalised English key -> key written), which win over the language's."""

    language: Language
    renames: Mapping[str, str] = field(default_factory=dict)

    def key(self, key: str) -> str:
        capital = key[:1].upper() + key[1:]
        return self.renames.get(capital) or self.language.keys.get(capital, capital)

    def record(self, item: Item) -> str:
        """One record: a ``Key: value`` line per field."""
        return "\n".join(f"{self.key(key)}: {_value(key, value)}" for key, value in item.items())

    def section(self, value: Any) -> tuple[str, str]:
        """A list or map section as (head, tail)."""
        if isinstance(value, list) and value:
            return RECORD_SEPARATOR.join(self.record(item) for item in value), "\n"
        if isinstance(value, dict) and value:
            return self.record(value), "\n"
        return self.language.no_data, "\n"

    def chats(self, chats: Mapping[str, list[Item]]) -> tuple[str, str]:
        """The direct messages file as (head, tail): the head ends with the first chat."""
        blocks = [self._chat(name, messages) for name, messages in chats.items()]
        if not blocks:
            return self.language.no_data, "\n"
        rest = "".join(RECORD_SEPARATOR + block for block in blocks[1:])
        return blocks[0], rest + "\n"

    def renderer(self) -> Callable[[Item], str]:
        """How the filler renders an item of this file: a record after a blank line."""
        return lambda item: RECORD_SEPARATOR + self.record(item)

    def _chat(self, name: str, messages: list[Item]) -> str:
        records = RECORD_SEPARATOR.join(self.record(message) for message in messages)
        return f"{name}\n{records or self.language.no_data}"


def _value(key: str, value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        if key.lower() == DATE_KEY.lower() and value and not value.endswith(UTC_SUFFIX):
            return value + UTC_SUFFIX
        return value or "N/A"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not value and isinstance(value, list | dict):
        return "None"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
