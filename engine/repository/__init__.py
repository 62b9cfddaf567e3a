"""Versioned process models: bundles of BPMN, DMN and forms, validated and stored immutably."""

from engine.repository.bundle import Bundle
from engine.repository.service import DeployResult, read_organisation

__all__ = ["Bundle", "DeployResult", "read_organisation"]
