"""Login timing: can a caller tell user names apart? ``python bench/bench_login.py [--tries N]``.

Times ``POST /api/v1/auth/login`` (Flask's test client around a real engine on a fresh SQLite file,
so the figures hold the API's own work and the database, not the network) for: an unknown user
name, a real user with a wrong password, a deactivated user, a user with no password, and a
successful login. Attempts rotate through client addresses and user names so that throttling
never answers for them (a throttled answer costs no hash and is told apart on purpose: 429).
Prints median and 90th percentile per case, interleaving the cases round by round so that a
noisy machine slows all of them alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Engine
from engine.config import Settings
from server.app import create_app
from server.settings import ServerSettings

PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=50, help="logins per case (default 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings.from_env(
            database_url=f"sqlite:///{directory}/login.db",
            login_user_free_failures=10 * args.tries,
            login_address_free_failures=10 * args.tries,
        )
        engine = Engine(settings)
        engine.upgrade_schema()
        engine.identity.add_user("fay", ["finance"], password=PASSWORD)
        engine.identity.add_user("gone", ["finance"], password=PASSWORD)
        engine.identity.set_active("gone", False)
        engine.identity.add_user("tokens_only", ["finance"])
        client = create_app(engine, ServerSettings()).test_client()
        cases = {
            "unknown user": ("ghost", PASSWORD, 401),
            "known user, wrong password": ("fay", "wrong password", 401),
            "deactivated user": ("gone", PASSWORD, 401),
            "user without password": ("tokens_only", PASSWORD, 401),
            "successful login": ("fay", PASSWORD, 200),
        }
        timings: dict[str, list[float]] = {case: [] for case in cases}
        for round_ in range(args.tries + 1):
            for n, (case, (name, password, status)) in enumerate(cases.items()):
                address = f"10.{round_ // 250}.{round_ % 250}.{n}"
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/auth/login",
                    json={"username": name, "password": password},
                    environ_base={"REMOTE_ADDR": address},
                )
                elapsed = time.perf_counter() - started
                assert response.status_code == status, (case, response.status_code, response.get_json())
                if round_:  # the first round warms up (and makes the dummy hash)
                    timings[case].append(elapsed * 1000)
        engine.close()
    print(f"POST /auth/login, {args.tries} tries per case, milliseconds (median, p90):")
    for case, values in timings.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"  {case:28} {statistics.median(values):7.2f} {p90:7.2f}")


if __name__ == "__main__":
    main()
