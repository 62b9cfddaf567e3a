"""Running process instances: start, advance, complete, cancel, suspend, resume."""
