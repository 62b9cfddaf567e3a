"""External tasks: work a process hands to workers over Camunda 7's external-task API."""

from engine.external.service import ExternalTaskInfo, ExternalTaskQuery, TopicRequest

__all__ = ["ExternalTaskInfo", "ExternalTaskQuery", "TopicRequest"]
