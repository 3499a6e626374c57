"""Triage settings: what counts as serious for the account or one incident (stored), and the
customers' earlier contacts the repeat-contact signal counts."""
