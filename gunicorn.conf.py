"""gunicorn's settings for the web processes, read by `incidentdesk serve` (and by a plain
`gunicorn 'service.app:create_app()'`) from the working directory; the image has it in /app.

GUNICORN_CMD_ARGS overrides anything here (`--timeout 60 --workers 4`); bind, workers and
threads come from `incidentdesk serve` (INCIDENTDESK_HOST and INCIDENTDESK_PORT, --workers,
--threads). See service/web_server.py for the order.
"""

import os

# A worker process silent for this long is killed and replaced. With one thread (the sync
# worker) that bounds a single request, by killing the process and whatever else it held; with
# threads (gthread, the default of `serve`) it bounds a stuck process, not a request. There is
# no per-request deadline in the process, on purpose: Python cannot stop a thread that is waiting,
# so a request is bounded by what it waits on (each Zendesk call's 30 s read timeout, SQLite's
# 30 s busy timeout), and the deadline a caller sees belongs to the proxy or load balancer in
# front (its read timeout, 60 s is usual), which answers 504 while the request finishes here;
# what it writes is recorded and idempotent. The webhook only writes to the inbox, well inside
# the 10 s Zendesk gives it.
timeout = 30
# On SIGTERM (docker stop, a deploy) workers stop accepting, finish the requests in flight and
# the embedded inbox worker's batch for up to this long, then exit. Keep it under the
# orchestrator's grace period (docker-compose.yml gives 45 s).
graceful_timeout = 30
# Behind a load balancer that keeps connections open, a little longer than its idle check.
keepalive = 5
# The heartbeat file in memory: on a container's overlay disk a slow fsync can look like a hang.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# Requests that do not fit these are refused with 400 before the app sees them.
limit_request_line = 8190
limit_request_fields = 100
# gunicorn 27's control socket (gunicornc) is not used: no socket file in the home directory that
# every process of the same user would share.
control_socket_disable = True
