# One image; the command picks the role: `serve` (gunicorn web) or `worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    INCIDENTDESK_HOST=0.0.0.0 \
    INCIDENTDESK_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY integrations ./integrations
RUN pip install . && useradd --create-home --uid 10001 incidentdesk && mkdir -p /app/var \
    && chown incidentdesk /app/var

USER incidentdesk
EXPOSE 8000
# Probes for the web role: GET /healthz (alive) and /readyz (database reachable and migrated).
ENTRYPOINT ["incidentdesk"]
# Web: the default. Worker: `docker run IMAGE worker`. Run `incidentdesk migrate` once per release.
CMD ["serve", "--workers", "2", "--threads", "4"]
