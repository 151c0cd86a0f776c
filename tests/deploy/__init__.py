"""Tests of what an operator deploys: docker-compose.yml, the Dockerfile, .env.example and the
logging they configure. Below: which environment variables the site's code reads, found in its
source, for the tests of compose and .env.example to check against."""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT

SETTINGS = ROOT / "portability_site" / "settings.py"
# The packages of the site whose code may read the environment besides settings.py.
SITE_PACKAGES = ("portability_site", "exports", "tiktok_sandbox")
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

_ENV_METHODS = {"bool", "int", "float", "str", "list", "tuple", "dict", "json", "url", "path"}
_ENV_METHODS |= {"db", "db_url", "cache", "cache_url", "email", "email_url", "search_url"}
_OS_ENVIRON_METHODS = {"get", "setdefault", "pop"}
_ARITHMETIC = {ast.Mult: operator.mul, ast.Add: operator.add, ast.Sub: operator.sub}
# ${NAME}, ${NAME:-default}, ${NAME?error} and the like, but not $${...} (a literal $).
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class EnvRead:
    """One read of an environment variable: its name, how it is parsed ("str" for env(...),
    else the django-environ method) and its default, when that is a constant."""

    name: str
    kind: str
    default: object = None
    has_constant_default: bool = False


def settings_env_reads(path: Path = SETTINGS) -> list[EnvRead]:
    """Every env("NAME", ...) and env.<method>("NAME", ...) call of a django-environ Env named
    `env` in `path`."""
    reads = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        kind = _env_call_kind(node.func)
        name = node.args[0]
        if kind is None or not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            continue
        default_node = _default_argument(node)
        constant, value = _constant(default_node) if default_node is not None else (False, None)
        reads.append(EnvRead(name.value, kind, value, constant))
    return reads


def settings_env_names() -> set[str]:
    """The names of the environment variables portability_site/settings.py reads."""
    return {read.name for read in settings_env_reads()}


def site_env_names() -> set[str]:
    """The names of the environment variables any module of the site reads: settings.py's, and
    os.environ / os.getenv reads anywhere in portability_site/, exports/ and tiktok_sandbox/."""
    names = settings_env_names()
    for package in SITE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names |= _os_environ_names(ast.parse(path.read_text(), filename=str(path)))
    return names


def compose_interpolated_names(document: object) -> set[str]:
    """The variables a loaded Compose file interpolates (${NAME...}, taken from the shell or
    .env) in any of its keys or values. Comments are not read: Compose does not read them."""
    if isinstance(document, str):
        return set(_INTERPOLATION.findall(document))
    if isinstance(document, dict):
        parts = [*document.keys(), *document.values()]
    elif isinstance(document, list):
        parts = document
    else:
        return set()
    return set().union(*(compose_interpolated_names(part) for part in parts))


def _env_call_kind(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name) and func.id == "env":
        return "str"
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
        and func.attr in _ENV_METHODS
    ):
        return func.attr
    return None


def _default_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "default":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _constant(node: ast.expr) -> tuple[bool, object]:
    """(True, value) for a constant expression (literals, and arithmetic on numbers, like
    8 * 1024 * 1024), else (False, None)."""
    try:
        return True, ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        (left_ok, left), (right_ok, right) = _constant(node.left), _constant(node.right)
        if left_ok and right_ok and all(isinstance(n, int | float) for n in (left, right)):
            return True, _ARITHMETIC[type(node.op)](left, right)
    return False, None


def _os_environ_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            is_environ_method = (
                isinstance(func, ast.Attribute)
                and func.attr in _OS_ENVIRON_METHODS
                and _is_os_environ(func.value)
            )
            is_getenv = (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                and isinstance(func.value, ast.Name)
                and func.value.id == "os"
            )
            if is_environ_method or is_getenv:
                key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _is_os_environ(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )
