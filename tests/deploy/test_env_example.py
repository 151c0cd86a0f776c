""".env.example against the code: it lists every setting the site reads, with the default the code
uses, names nothing nobody reads, and lists what docker-compose.yml asks the operator for."""

from __future__ import annotations

import re

import environ
import pytest
import yaml

from tests.deploy import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    EnvRead,
    compose_interpolated_names,
    settings_env_names,
    settings_env_reads,
    site_env_names,
)

# The section of .env.example with the variables docker-compose.yml reads and the site does not.
COMPOSE_SECTION = "# --- docker-compose.yml only"
# `NAME=value`, commented out or not.
ENTRY = re.compile(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)")
EMPTY_DEFAULTS = (None, "", [], ())


def entries(lines: list[str]) -> dict[str, str]:
    return {match[1]: match[2].strip() for line in lines if (match := ENTRY.fullmatch(line))}


@pytest.fixture(scope="module")
def sections() -> tuple[dict[str, str], dict[str, str]]:
    """The entries of .env.example for the site, and those of its docker-compose.yml section."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith(COMPOSE_SECTION)]
    assert len(starts) == 1, f"one {COMPOSE_SECTION!r} section"
    return entries(lines[: starts[0]]), entries(lines[starts[0] :])


def test_every_setting_settings_py_reads_is_in_env_example(sections) -> None:
    site, _ = sections
    assert settings_env_names() - set(site) == set()


def test_env_example_names_no_setting_the_site_does_not_read(sections) -> None:
    site, _ = sections
    assert set(site) - site_env_names() == set()


def test_the_compose_section_names_only_what_docker_compose_reads_and_the_site_does_not(
    sections,
) -> None:
    _, compose_only = sections
    interpolated = compose_interpolated_names(yaml.safe_load(COMPOSE_FILE.read_text()))
    assert set(compose_only) - interpolated == set()
    assert set(compose_only) & site_env_names() == set()


def test_every_variable_docker_compose_asks_for_is_in_env_example(sections) -> None:
    site, compose_only = sections
    interpolated = compose_interpolated_names(yaml.safe_load(COMPOSE_FILE.read_text()))
    assert interpolated - set(site) - set(compose_only) == set()


def test_the_defaults_env_example_shows_are_the_ones_settings_py_uses(sections) -> None:
    site, _ = sections
    wrong = {
        f"{read.name}: .env.example says {site[read.name]!r}, settings.py {read.default!r}"
        for read in settings_env_reads()
        if read.has_constant_default and read.name in site and not shows_default(read, site)
    }
    assert wrong == set()


def shows_default(read: EnvRead, shown: dict[str, str]) -> bool:
    """Whether the value .env.example shows for `read.name`, parsed the way settings.py parses
    it (the same django-environ method), is that read's default. An empty value stands for
    "unset", which is right for an empty default."""
    value = shown[read.name]
    if not value:
        return read.default in EMPTY_DEFAULTS
    env = environ.Env()
    env.ENVIRON = {read.name: value}
    parse = env.str if read.kind == "str" else getattr(env, read.kind)
    return parse(read.name) == read.default
