"""The reconciler: follows the helpdesk's change feed so that a lost webhook is never a lost
customer."""
