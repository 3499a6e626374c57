"""Migrated databases for benchmarks: a SQLite file, or a PostgreSQL schema of their own."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from service.migrate import upgrade


@contextmanager
def migrated(postgres_url: str | None = None, name: str = "bench") -> Iterator[str]:
    """The URL of a freshly migrated database: a temporary SQLite file, or, given a PostgreSQL
    URL, a new schema there that is dropped afterwards."""
    if not postgres_url:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / f'{name}.db'}"
            upgrade(url)
            yield url
        return
    schema = f"{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    try:
        url = f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
