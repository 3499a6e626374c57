"""Pure domain logic: no Flask, SQLAlchemy or zenpy imports here, only plain data."""
