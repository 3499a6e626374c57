"""`incidentdesk serve`'s gunicorn configuration: ours, then the config file, then
GUNICORN_CMD_ARGS, then the command line's explicit flags."""

from pathlib import Path

import yaml

from service.web_server import ServeOptions, WebServer
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def _server(monkeypatch, tmp_path, cmd_args: str = "", **options) -> WebServer:
    monkeypatch.setenv("GUNICORN_CMD_ARGS", cmd_args)
    settings = make_settings(f"sqlite:///{tmp_path / 'x.db'}", host="0.0.0.0", port=8000)
    return WebServer(settings, ServeOptions(config=str(ROOT / "gunicorn.conf.py"), **options))


def test_the_config_file_sets_timeouts_and_our_defaults_the_rest(monkeypatch, tmp_path):
    cfg = _server(monkeypatch, tmp_path).cfg
    assert cfg.bind == ["0.0.0.0:8000"]
    assert (cfg.workers, cfg.threads) == (2, 4)
    assert (cfg.timeout, cfg.graceful_timeout, cfg.keepalive) == (30, 30, 5)
    assert cfg.forwarded_allow_ips == []  # gunicorn trusts no X-Forwarded-Proto of its own


def test_a_graceful_stop_ends_before_the_orchestrator_kills_and_threads_make_it_gthread(
    monkeypatch, tmp_path
):
    """gunicorn.conf.py read through gunicorn's own loader, against docker-compose.yml: a
    graceful_timeout at or over stop_grace_period would be SIGKILLed mid-batch. With threads the
    worker is gthread, whose `timeout` bounds a stuck process, not a request (see the file)."""
    cfg = _server(monkeypatch, tmp_path).cfg
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grace = compose["x-incidentdesk"]["stop_grace_period"]
    assert grace.endswith("s") and cfg.graceful_timeout < int(grace.removesuffix("s"))
    assert cfg.worker_class.__name__ == "ThreadWorker"  # gunicorn turns sync + threads into gthread


def test_gunicorn_cmd_args_override_the_file_and_explicit_flags_override_both(monkeypatch, tmp_path):
    cfg = _server(monkeypatch, tmp_path, "--timeout 61 --workers 5 --bind 0.0.0.0:9000").cfg
    assert (cfg.timeout, cfg.workers, cfg.bind) == (61, 5, ["0.0.0.0:9000"])
    cfg = _server(monkeypatch, tmp_path, "--timeout 61 --workers 5", workers=3, port=8100).cfg
    assert (cfg.timeout, cfg.workers, cfg.bind) == (61, 3, ["0.0.0.0:8100"])


def test_gunicorns_proxy_trust_is_the_services(monkeypatch, tmp_path):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "")
    settings = make_settings(
        f"sqlite:///{tmp_path / 'x.db'}", trusted_proxies=("10.0.0.0/24",), trusted_proxy_hops=1
    )
    assert WebServer(settings, ServeOptions()).cfg.forwarded_allow_ips == ["10.0.0.0/24"]


def test_the_embedded_worker_is_started_after_fork_and_stopped_at_exit(monkeypatch, tmp_path):
    cfg = _server(monkeypatch, tmp_path, with_worker=True).cfg
    assert cfg.post_worker_init.__name__ == "post_worker_init"
    assert cfg.post_worker_init.__qualname__.startswith("WebServer._embed_inbox_worker")
    assert cfg.worker_exit.__qualname__.startswith("WebServer._embed_inbox_worker")
