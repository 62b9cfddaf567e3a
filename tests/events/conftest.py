"""Messages are sent through the engine, over HTTP and from the command line: the fixtures of both."""

from tests.api.conftest import api  # noqa: F401 (the live HTTP server)
from tests.cli.conftest import cli  # noqa: F401 (the `approvals` executable, one process per command)
