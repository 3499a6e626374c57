"""The deploy files agree with the code: no Docker engine runs here, so this is what checks
docker-compose.yml, the Dockerfile, .env.example and requirements.lock."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from service.app import create_app
from service.cli import build_parser
from service.wiring import build_services
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
# Read by gunicorn itself, not by service/settings.py.
READ_BY_GUNICORN = {"GUNICORN_CMD_ARGS"}
COMPOSE_ONLY_MARKER = "# --- docker-compose.yml only"
OUR_IMAGE = "incidentdesk:latest"


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def read_by_the_code() -> set[str]:
    """Every variable service/settings.py reads (it is the only reader, checked below)."""
    names = set(
        re.findall(r'"((?:INCIDENTDESK|ZENDESK|PROMETHEUS)_[A-Z0-9_]+)"', _text("service/settings.py"))
    )
    return names | READ_BY_GUNICORN


def documented() -> tuple[set[str], set[str]]:
    """.env.example's variables: the service's, and those only docker compose uses."""
    service_part, _, compose_part = _text(".env.example").partition(COMPOSE_ONLY_MARKER)
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(pattern.findall(service_part)), set(pattern.findall(compose_part))


def compose() -> dict:
    return yaml.safe_load(_text("docker-compose.yml"))


def our_services() -> dict[str, dict]:
    """The compose services that run our image (the service or the sandbox stage)."""
    return {name: svc for name, svc in compose()["services"].items() if "build" in svc}


def dockerfile_instructions(name: str) -> list[str]:
    joined = _text("Dockerfile").replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_settings_py_is_the_only_reader_of_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for room in ("service", "integrations")
        for path in (ROOT / room).rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["service/settings.py"]


def test_every_variable_the_code_reads_is_documented_in_env_example_and_nothing_else():
    service_vars, _ = documented()
    code = read_by_the_code()
    assert code - service_vars == set(), "read by the code but not in .env.example"
    assert service_vars - code == set(), "in .env.example but read by no code"


def test_compose_only_variables_are_used_by_compose():
    _, compose_vars = documented()
    text = _text("docker-compose.yml")
    assert compose_vars, "POSTGRES_PASSWORD at least"
    for name in compose_vars:
        assert "${" + name in text, f"{name} is documented for compose but compose does not use it"
    for name in re.findall(r"\$\{([A-Z][A-Z0-9_]+)", text):
        assert name in compose_vars, f"compose interpolates {name}: document it in .env.example"


def test_every_variable_set_for_our_services_is_one_the_code_reads():
    code = read_by_the_code()
    for name, svc in our_services().items():
        assert set(svc.get("environment", {})) <= code, name
        if svc["build"]["target"] == "service":
            assert svc.get("env_file") == ".env", name
    for instruction in dockerfile_instructions("ENV"):
        for name in re.findall(r"\b([A-Z][A-Z0-9_]+)=", instruction):
            if name.startswith(("INCIDENTDESK_", "ZENDESK_", "PROMETHEUS_")):
                assert name in code, f"the Dockerfile sets {name}, which no code reads"


def test_every_service_command_is_an_incidentdesk_subcommand():
    parser = build_parser()
    subcommands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    (entrypoint,) = dockerfile_instructions("ENTRYPOINT")
    assert entrypoint.strip() == '["incidentdesk"]'
    commands = {name: svc["command"] for name, svc in our_services().items()}
    commands["Dockerfile CMD"] = yaml.safe_load(dockerfile_instructions("CMD")[-1])
    for stage_cmd in dockerfile_instructions("CMD")[:-1]:
        commands[f"Dockerfile CMD {stage_cmd}"] = yaml.safe_load(stage_cmd)
    for name, argv in commands.items():
        argv = shlex.split(argv) if isinstance(argv, str) else argv
        assert argv[0] in subcommands, f"{name}: {argv[0]!r} is not an incidentdesk command"
        parser.parse_args(argv)  # its options exist too (argparse exits on an unknown one)


def test_the_topology_is_postgres_migrate_once_two_web_three_workers_and_the_sandbox():
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 3
    for role in ("web", "worker"):
        assert services[role]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[role]["environment"]["INCIDENTDESK_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["sandbox"]["build"]["target"] == "sandbox"
    assert services["web"]["build"]["target"] == "service"
    stages = re.findall(r"^FROM \S+ AS (\S+)$", _text("Dockerfile"), re.MULTILINE)
    assert stages[-1] == "service", "a plain `docker build .` makes the service"
    assert "sandbox" in stages


def _host_ports(published: str) -> list[int]:
    host_part = published.rsplit(":", 1)[0].rsplit(":", 1)[-1]
    first, _, last = host_part.partition("-")
    return list(range(int(first), int(last or first) + 1))


def test_published_host_ports_do_not_collide():
    services = compose()["services"]
    ports = [port for svc in services.values() for spec in svc.get("ports", []) for port in _host_ports(spec)]
    assert len(ports) == len(set(ports)), ports
    assert len(_host_ports(services["web"]["ports"][0])) == services["web"]["deploy"]["replicas"]


def test_the_healthcheck_asks_a_real_route(sqlite_url, helpdesk):
    (healthcheck,) = dockerfile_instructions("HEALTHCHECK")
    assert "curl" not in healthcheck and "wget" not in healthcheck  # neither is in the image
    (path,) = re.findall(r"http://127\.0\.0\.1:%s(/[\w/-]+)", healthcheck)
    app = create_app(services=build_services(make_settings(sqlite_url), helpdesk=helpdesk))
    try:
        assert path in {rule.rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
        assert app.test_client().get(path).status_code == 200
    finally:
        app.extensions["incidentdesk"].db.dispose()


def test_the_image_installs_pinned_hashed_dependencies_from_the_lock():
    runs = " ".join(dockerfile_instructions("RUN"))
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert "pip install --no-deps ." in runs
    lock = _text("requirements.lock")
    pinned = {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    project = tomllib.loads(_text("pyproject.toml"))["project"]
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in requirements.lock: run `make lock`"
    assert re.search(r"^[a-z0-9-]+==\S+ \\\n\s+--hash=sha256:", lock, re.MULTILINE)


@pytest.mark.parametrize("secret_or_state", [".env", ".venv", "var", "*.db", ".git", "tests"])
def test_the_build_context_leaves_out_secrets_and_local_state(secret_or_state):
    ignored = {
        line.strip()
        for line in _text(".dockerignore").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert secret_or_state in ignored


def test_every_file_the_dockerfile_copies_exists():
    for instruction in dockerfile_instructions("COPY"):
        for source in instruction.split()[:-1]:
            if not source.startswith("--"):
                assert (ROOT / source).exists(), source
