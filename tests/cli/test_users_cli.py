"""`approvals users …`: the last active admin is kept at the command line too; back-offs are lifted."""

import pytest

from engine import Engine
from engine.clock import ManualClock
from engine.config import Settings
from engine.errors import AuthenticationFailed, TooManyAttempts


def test_the_last_admin_cannot_be_removed_from_the_command_line(cli):
    cli("users", "add", "root", "--groups", "admin")
    for command in (("set-groups", "root", "--groups", "sales"), ("deactivate", "root")):
        result = cli("users", *command, ok=False)
        assert result.returncode == 1
        assert "last active admin" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    listed = cli("users", "list").stdout
    assert "root" in listed and "admin" in listed and "yes" in listed
    # With a second admin, the first may go.
    cli("users", "add", "ada", "--groups", "admin")
    assert "is deactivated" in cli("users", "deactivate", "root").stdout
    assert "last active admin" in cli("users", "set-groups", "ada", "--groups", "sales", ok=False).stderr


def test_json_errors_name_the_conflict(cli):
    cli("users", "add", "root", "--groups", "admin")
    result = cli("users", "set-groups", "root", "--groups", "sales", "--json", ok=False)
    assert result.returncode == 1
    assert '"type": "Conflict"' in result.stdout and "last active admin" in result.stdout


def test_an_operator_lifts_a_login_back_off(cli):
    cli("users", "add", "fay", "--groups", "finance")
    # A clock that stands still: the back-off cannot run out while the test looks at it.
    settings = Settings.from_env(database_url=f"sqlite:///{cli.db}", login_user_free_failures=0)
    engine = Engine(settings, clock=ManualClock())
    try:
        engine.identity.set_password("fay", "correct horse battery")
        with pytest.raises(AuthenticationFailed):
            engine.identity.login("fay", "guess", address="10.0.0.1")
        with pytest.raises(TooManyAttempts):
            engine.identity.login("fay", "correct horse battery", address="10.0.0.2")
        assert "1 counter cleared" in cli("users", "unblock", "fay").stdout
        assert engine.identity.login("fay", "correct horse battery", address="10.0.0.2").startswith("apr_")
        assert "0 counters cleared" in cli("users", "unblock", "--address", "10.9.9.9").stdout
        assert "name a user, an address" in cli("users", "unblock", ok=False).stderr
    finally:
        engine.close()
