"""Duplicate tickets: find them, merge them safely, keep the record."""
