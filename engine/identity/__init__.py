"""Users, groups, API tokens and passwords; who is asking (``actor``)."""
