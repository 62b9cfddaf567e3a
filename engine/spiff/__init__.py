"""The adapter to SpiffWorkflow. Only this package imports SpiffWorkflow (checked by import-linter)."""
