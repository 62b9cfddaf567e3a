"""What an auditor reads of one instance: the path on its diagram, the trail, its decisions beside
their tables, the chain's verification, and the trail as a file (JSON, CSV)."""

from engine.audit.decisions import DecisionRecord, DecisionTable, Evaluation, TableRule
from engine.audit.export import trail_csv, trail_json
from engine.audit.path import PathTaken
from engine.audit.service import AuditService, InstanceAudit

__all__ = [
    "AuditService",
    "DecisionRecord",
    "DecisionTable",
    "Evaluation",
    "InstanceAudit",
    "PathTaken",
    "TableRule",
    "trail_csv",
    "trail_json",
]
