"""Background jobs behind ``job_status``: queued -> working -> completed/failed.

Bulk endpoints call ``submit``; one worker thread processes jobs in order, one item at a
time under the state lock, so API calls interleave with a running job as on Zendesk.
"""

from __future__ import annotations

import os
import queue
import threading
import time

from flask import Blueprint, request

from .common import ApiError, base_url, current_state, not_found
from .state import SandboxState

MAX_JOBS_IN_FLIGHT = 30

bp = Blueprint("sandbox_jobs", __name__)


def submit(state: SandboxState, kind: str, items: list, actor_id: int, **extra) -> dict:
    """Queue a job of ``kind`` over ``items``; 429 when too many jobs are in flight."""
    with state.lock:
        in_flight = sum(1 for j in state.jobs.values() if j["status"] in ("queued", "working"))
        if in_flight >= MAX_JOBS_IN_FLIGHT:
            raise ApiError(
                429,
                {
                    "error": "TooManyJobs",
                    "description": "Number of "
                    "simultaneous jobs has exceeded the limit; wait for queued "
                    "jobs to finish",
                },
                {"Retry-After": "5"},
            )
        job = {
            "id": "V3-" + os.urandom(16).hex(),
            "job_type": kind,
            "total": len(items),
            "progress": None,
            "status": "queued",
            "message": None,
            "results": None,
            "_kind": kind,
            "_items": items,
            "_actor": actor_id,
            "_extra": extra,
            "_created": time.time(),
        }
        state.jobs[job["id"]] = job
    state.job_queue.put(job["id"])
    return job


def render(job: dict, url_base: str) -> dict:
    body = {k: v for k, v in job.items() if not k.startswith("_")}
    return {"id": job["id"], "url": f"{url_base}/api/v2/job_statuses/{job['id']}.json", **body}


def _live_job(state: SandboxState, job_id: str) -> dict | None:
    job = state.jobs.get(job_id)
    if job and time.time() - job["_created"] > state.job_ttl_seconds:
        del state.jobs[job_id]
        return None
    return job


@bp.get("/api/v2/job_statuses/<job_id>")
def show(job_id: str):
    state = current_state()
    with state.lock:
        job = _live_job(state, job_id)
        if job is None:
            raise not_found()
        return {"job_status": render(job, base_url())}


@bp.get("/api/v2/job_statuses/show_many")
def show_many():
    state = current_state()
    raw = [part for part in request.args.get("ids", "").split(",") if part]
    with state.lock:
        found = [render(j, base_url()) for j in (_live_job(state, i) for i in raw) if j]
    return {"job_statuses": found}


@bp.get("/api/v2/job_statuses")
def index():
    state = current_state()
    with state.lock:
        found = [render(j, base_url()) for j in list(state.jobs.values()) if _live_job(state, j["id"])]
    return {"job_statuses": found, "next_page": None, "previous_page": None, "count": len(found)}


class JobRunner:
    """The worker thread. ``handlers[kind](state, item, index, job) -> result dict``."""

    def __init__(self, state: SandboxState, handlers: dict):
        self.state = state
        self.handlers = handlers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sandbox-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = self.state.job_queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if self._wait_until_due(job_id):
                self._run(job_id)

    def _wait_until_due(self, job_id: str) -> bool:
        """Honour the slow-job-queue fault: a job starts ``job_delay_seconds`` after it was
        queued. False if the job vanished (reset) or the runner is stopping."""
        while not self._stop.is_set():
            with self.state.lock:
                job = self.state.jobs.get(job_id)
                delay = float(self.state.faults.get("job_delay_seconds", 0) or 0)
            if job is None:
                return False
            remaining = job["_created"] + delay - time.time()
            if remaining <= 0:
                return True
            self._stop.wait(min(remaining, 0.05))
        return False

    def _run(self, job_id: str) -> None:
        state = self.state
        with state.lock:
            job = state.jobs.get(job_id)
            if job is None:
                return
            job.update(status="working", progress=0, results=[])
            handler = self.handlers[job["_kind"]]
        failed = False
        for index, item in enumerate(job["_items"]):
            with state.lock:
                try:
                    result = handler(state, item, index, job)
                except ApiError as exc:
                    result = {
                        "index": index,
                        "error": exc.body.get("error", "Error"),
                        "details": exc.body.get("description", ""),
                    }
                except Exception as exc:  # a bug in the sandbox must not kill the worker
                    failed = True
                    job.update(status="failed", message=f"Failed: {exc}")
                    break
                job["results"].append(result)
                job["progress"] = index + 1
        with state.lock:
            if not failed:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime())
                job.update(status="completed", message=f"Completed at {stamp}")
