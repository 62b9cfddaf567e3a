"""External tasks: work a process hands to workers over Camunda 7's external-task API."""
