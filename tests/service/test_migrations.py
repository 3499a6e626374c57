"""The migrations build exactly the tables the models describe, and go down and up again."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from service.migrate import downgrade, upgrade
from service.schema import metadata


def _differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url):
    assert _differences(database_url) == []


def test_downgrade_to_base_and_upgrade_again(database_url):
    downgrade(database_url, "base")
    assert _differences(database_url) != []
    upgrade(database_url)
    assert _differences(database_url) == []
