"""Deploy and start time of wide and long models, and how they grow with the model's size.

    .venv/bin/python bench/bench_wide_models.py [--sizes 150,600,2500] [--repeat 3] [--database-url URL]

Shapes (n is the size):

- ``wide``: start -> parallel split -> n script tasks -> parallel join -> end, run to its end at start;
- ``wide-inbox``: the same with n user tasks, which start leaves open (n inbox rows);
- ``chain``: start -> n script tasks one after another -> end, run to its end at start.

For each shape and size it prints the best of ``--repeat`` runs of deploy (validate, compile,
store) and start (compile from the stored files, run, store), and the growth of each against the
previous size: with sizes four times apart, ~4x is linear and ~16x quadratic. Each run deploys a
fresh copy (a new process id) to a new SQLite file unless --database-url is given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Engine
from engine.actor import SYSTEM
from engine.config import Settings
from engine.store import migrate

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'id="defs" targetNamespace="http://example.com/bench">\n'
    '<bpmn:process id="{pid}" isExecutable="true">\n'
)
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def _script(element_id: str, n: int) -> str:
    return f'<bpmn:scriptTask id="{element_id}"><bpmn:script>step = {n}</bpmn:script></bpmn:scriptTask>'


def wide_model(pid: str, n: int, user_tasks: bool = False) -> bytes:
    """A parallel split into ``n`` branches of one task each, joined again."""
    parts = [
        '<bpmn:startEvent id="start"/>',
        '<bpmn:parallelGateway id="split"/>',
        '<bpmn:parallelGateway id="join"/>',
        '<bpmn:endEvent id="end"/>',
        '<bpmn:sequenceFlow id="to_split" sourceRef="start" targetRef="split"/>',
        '<bpmn:sequenceFlow id="to_end" sourceRef="join" targetRef="end"/>',
    ]
    for i in range(n):
        parts.append(f'<bpmn:userTask id="b{i}"/>' if user_tasks else _script(f"b{i}", i))
        parts.append(f'<bpmn:sequenceFlow id="in{i}" sourceRef="split" targetRef="b{i}"/>')
        parts.append(f'<bpmn:sequenceFlow id="out{i}" sourceRef="b{i}" targetRef="join"/>')
    return (_HEAD.format(pid=pid) + "\n".join(parts) + "\n" + _TAIL).encode()


def chain_model(pid: str, n: int) -> bytes:
    """``n`` script tasks one after another."""
    parts = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>']
    previous = "start"
    for i in range(n):
        parts.append(_script(f"t{i}", i))
        parts.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
        previous = f"t{i}"
    parts.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end"/>')
    return (_HEAD.format(pid=pid) + "\n".join(parts) + "\n" + _TAIL).encode()


SHAPES: dict[str, Callable[[str, int], bytes]] = {
    "wide": wide_model,
    "wide-inbox": lambda pid, n: wide_model(pid, n, user_tasks=True),
    "chain": chain_model,
}


def measure(engine: Engine, shape: str, n: int, run: int) -> tuple[float, float, str]:
    pid = f"bench_{shape.replace('-', '_')}_{n}_{run}"
    content = SHAPES[shape](pid, n)
    began = time.perf_counter()
    bundle = engine.repository.bundle_from_files({f"{pid}.bpmn": content}, "bench")
    engine.repository.deploy([bundle], SYSTEM)
    deployed = time.perf_counter()
    # Start compiles the version from its stored files, as a server that did not deploy it would.
    engine.repository.cache = type(engine.repository.cache)()
    began_start = time.perf_counter()
    info = engine.runtime.start(pid, SYSTEM, {})
    started = time.perf_counter()
    return deployed - began, started - began_start, info.status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="150,600,2500")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--max-elements", type=int, default=100_000, help="APPROVALS_MAX_MODEL_ELEMENTS to use"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench_wide_')}/bench.db"
    engine = Engine(Settings.from_env(database_url=url, max_model_elements=args.max_elements))
    migrate.upgrade(engine.db)
    print(f"database: {url.split('@')[-1]}")
    print(f"{'shape':<11} {'size':>6} {'deploy s':>9} {'x':>6} {'start s':>9} {'x':>6}  status")
    for shape in args.shapes.split(","):
        previous: tuple[float, float] | None = None
        for n in sizes:
            runs = [measure(engine, shape, n, r) for r in range(args.repeat)]
            deploy = min(r[0] for r in runs)
            start = min(r[1] for r in runs)
            growth = (
                ("", "")
                if previous is None
                else (f"{deploy / previous[0]:.1f}", f"{start / previous[1]:.1f}")
            )
            print(
                f"{shape:<11} {n:>6} {deploy:>9.3f} {growth[0]:>6} {start:>9.3f} {growth[1]:>6}  {runs[0][2]}"
            )
            previous = (deploy, start)
    engine.close()


if __name__ == "__main__":
    main()
