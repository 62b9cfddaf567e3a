"""Versioned process models: bundles of BPMN, DMN and forms, validated and stored immutably."""
