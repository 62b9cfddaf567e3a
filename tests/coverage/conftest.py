"""The `cli` fixture of tests/cli: the real `approvals` executable, one process per command."""

from tests.cli.conftest import cli  # noqa: F401
