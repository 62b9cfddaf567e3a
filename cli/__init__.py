"""The ``approvals`` command line: an operator's console over the engine (no SpiffWorkflow, no Flask)."""
