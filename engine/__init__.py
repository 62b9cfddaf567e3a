"""marketing-approvals engine: a BPMN/DMN workflow library (no web framework inside).

Everything a user can do over HTTP can be done by calling :class:`engine.Engine` directly.
"""

from engine.errors import ApprovalsError
from engine.facade import Engine

__all__ = ["ApprovalsError", "Engine"]
