from tests.api.conftest import api  # noqa: F401 (a live HTTP server on the test database)
from tests.cli.conftest import cli  # noqa: F401 (the `approvals` executable, one process per command)
