"""The inbox: one row per task waiting for a person; claim, assign, complete."""
