"""The live API server fixture of tests/api and the `cli` fixture of tests/cli, for the tests here."""

from tests.api.conftest import api  # noqa: F401 (fixtures, used by name)
from tests.cli.conftest import cli  # noqa: F401
