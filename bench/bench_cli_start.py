"""What one `approvals` process costs: CPU seconds (user + system) of a few commands, each run in a
new process, on a database prepared once with the bundled models.

    python bench/bench_cli_start.py [--runs 7] [--no-bytecode] [--source DIR]

Every test that drives the CLI or `approvals serve` pays this per process, and so does a user's
script. The figures are CPU time, not wall time: on a shared machine the CPU time of a process is
what stays comparable between runs. Printed per command: the fastest and the median run, and the
modules imported (`-X importtime`'s count). `--no-bytecode` runs them as a checkout with
PYTHONDONTWRITEBYTECODE=1 and no __pycache__ does: every module of the project compiled again.
`--source DIR` runs another checkout's code (say `git archive HEAD~3 | tar -x -C /tmp/before`) for a
before/after comparison on the same machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS = {
    "--help": ["--help"],
    "users token": ["users", "token", "sam"],
    "instance --json": ["instance", "1", "--json"],
    "tasks --user": ["tasks", "--user", "mona"],
}

CONTRACT = (
    '{"customer": "ACME", "customer_type": "existing", "amount": 100, "lines": [{"product": "P", '
    '"quantity": 1, "unit_price": 100, "base_price": 100}], "payment_term_days": 30, '
    '"delivery_date": "2026-12-31", "standard_template": true, "attachment": "D", "available_credit": 5000}'
)


PACKAGES = ("engine", "cli", "api", "web", "server")


def approvals(env: dict[str, str], *args: str) -> float:
    """Run one command in a new process; its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=env["PYTHONPATH"],
        check=True,
        capture_output=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def modules_imported(env: dict[str, str], *args: str) -> int:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli.main", *args],
        env=env,
        cwd=env["PYTHONPATH"],
        check=True,
        capture_output=True,
        text=True,
    )
    return sum(1 for line in run.stderr.splitlines() if line.startswith("import time:")) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode", action="store_true")
    parser.add_argument("--source", type=Path, default=REPO)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVALS_")}
        env["APPROVALS_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        source = options.source.resolve()
        if options.no_bytecode:
            # The packages copied without their __pycache__, and nothing written: each run compiles
            # every module of the project it imports (the installed libraries keep their bytecode).
            for package in PACKAGES:
                shutil.copytree(
                    source / package,
                    Path(tmp) / "src" / package,
                    ignore=shutil.ignore_patterns("__pycache__", "static"),
                )
            source = Path(tmp) / "src"
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = str(source)
        approvals(env, "deploy", str(REPO / "process_models"), "--strict")
        approvals(env, "users", "add", "sam", "--groups", "sales_rep")
        approvals(env, "users", "add", "mona", "--groups", "sales_manager")
        approvals(env, "start", "contract_review", "--user", "sam", "--data", CONTRACT)
        print(f"CPU seconds per `approvals` process ({options.runs} runs each; fastest, median)")
        for name, args in COMMANDS.items():
            times = sorted(approvals(env, *args) for _ in range(options.runs))
            print(
                f"  {name:<18} {times[0]:6.3f} {statistics.median(times):6.3f}   "
                f"{modules_imported(env, *args)} modules"
            )


if __name__ == "__main__":
    main()
