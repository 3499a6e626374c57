"""Proactive outreach campaigns: one personal ticket per affected customer, once."""
