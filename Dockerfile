# One image; the command picks the role: `serve` (gunicorn web, the default), `worker`, `migrate`.
# Dependencies come from requirements.lock (pinned, with hashes; `make lock` regenerates it).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INCIDENTDESK_HOST=0.0.0.0 \
    INCIDENTDESK_PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/incidentdesk-metrics

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY service ./service
COPY integrations ./integrations
RUN pip install --no-deps . && useradd --create-home --uid 10001 incidentdesk \
    && mkdir -p /app/var "$PROMETHEUS_MULTIPROC_DIR" && chown incidentdesk /app/var "$PROMETHEUS_MULTIPROC_DIR"
ENTRYPOINT ["incidentdesk"]

# The Zendesk sandbox, only for trying the service without an account (docker-compose.yml); it is
# a development stand-in and never part of a deployment.
FROM base AS sandbox
COPY zendesk_sandbox ./zendesk_sandbox
ENV PYTHONPATH=/app
USER incidentdesk
EXPOSE 8001
CMD ["sandbox", "--host", "0.0.0.0", "--port", "8001"]

# The service: the last stage, so a plain `docker build .` makes it.
FROM base AS service
USER incidentdesk
EXPOSE 8000
# Liveness of the web role, with the image's own Python (there is no curl). Workers have no HTTP
# port: docker-compose.yml turns the check off for them. /readyz (database reachable and
# migrated) is for a load balancer's readiness probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('INCIDENTDESK_PORT', '8000'), timeout=4)"]
# Web: the default, tuned by gunicorn.conf.py and GUNICORN_CMD_ARGS. Worker: `docker run IMAGE
# worker`. Run `incidentdesk migrate` once per release, before the new web and worker processes.
CMD ["serve"]
