"""Decision table throughput: ``python bench/bench_decisions.py [--seconds N]``.

Builds a 50-rule table with four inputs whose cells mix the unary-test forms process owners
write (ranges with open and closed ends, comparisons, string lists, ``not(...)``, ``-``),
loads it once, then evaluates it through the public API (``DecisionModel.evaluate``, trace
included) over varied inputs, for hit policies FIRST, UNIQUE and COLLECT SUM.
Exactly one rule matches each input, so UNIQUE is valid; FIRST stops at that rule while
UNIQUE and COLLECT must test all 50.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.dmn import load_decision_model

RULES = 50
BUCKET = 10_000
CUSTOMER_CELLS = ("-", '"new","existing","overseas"', 'not("blocked")', "-")
REGION_CELLS = ("-", '"north","south","east","west"', "-", 'not("nowhere")')
DAYS_CELLS = ("-", "<= 365", "[0..365]", ">= 0", "-")


def amount_cell(i: int) -> str:
    low, high = i * BUCKET, (i + 1) * BUCKET
    forms = (
        f"[{low}..{high}[",
        f"[{low}..{high})",
        f">= {low}" if i == RULES - 1 else f"[{low}..{high - 1}]",
        f"]{low - 1}..{high}[" if low else f"[0..{high}[",
    )
    return forms[i % len(forms)]


def table_xml(hit_policy: str, aggregation: str | None) -> bytes:
    aggregation_attr = f' aggregation="{aggregation}"' if aggregation else ""
    outputs = ['<output id="fee" name="fee" typeRef="number"/>']
    if aggregation is None:
        outputs.insert(0, '<output id="level" name="level" typeRef="string"/>')
    rules = []
    for i in range(RULES):
        cells = (amount_cell(i), CUSTOMER_CELLS[i % 4], REGION_CELLS[i % 4], DAYS_CELLS[i % 5])
        entries = "".join(
            f'<inputEntry id="r{i}c{n}"><text>{escape(c)}</text></inputEntry>' for n, c in enumerate(cells)
        )
        results = [f'<outputEntry id="r{i}fee"><text>{i * 10}</text></outputEntry>']
        if aggregation is None:
            results.insert(0, f'<outputEntry id="r{i}level"><text>"level {i // 10}"</text></outputEntry>')
        rules.append(f'<rule id="rule{i}">{entries}{"".join(results)}</rule>')
    inputs = "".join(
        f'<input id="in{n}" label="{label}"><inputExpression id="ie{n}" typeRef="{type_ref}">'
        f"<text>{expression}</text></inputExpression></input>"
        for n, (label, expression, type_ref) in enumerate(
            (
                ("Amount", "amount", "number"),
                ("Customer type", "customer.type", "string"),
                ("Region", "Sales Region", "string"),
                ("Days", "days", "number"),
            )
        )
    )
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" name="bench" '
        'namespace="bench"><decision id="bench_table" name="Bench table">'
        f'<decisionTable id="t" hitPolicy="{hit_policy}"{aggregation_attr}>{inputs}{"".join(outputs)}'
        f"{''.join(rules)}</decisionTable></decision></definitions>"
    ).encode()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def contexts(count: int) -> list[dict]:
    rng = random.Random(7)
    return [
        {
            "amount": rng.randrange(0, RULES * BUCKET),
            "customer": {"type": rng.choice(("new", "existing", "overseas"))},
            "Sales Region": rng.choice(("north", "south", "east", "west")),
            "days": rng.randrange(0, 366),
        }
        for _ in range(count)
    ]


def measure(label: str, hit_policy: str, aggregation: str | None, seconds: float) -> float:
    started = time.perf_counter()
    model = load_decision_model({"bench.dmn": table_xml(hit_policy, aggregation)})
    load_ms = (time.perf_counter() - started) * 1000
    data = contexts(1000)
    evaluate = model.evaluate
    for ctx in data:  # warm-up, and a check that the table really is unique per input
        evaluate("bench_table", ctx)
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for ctx in data:
            evaluate("bench_table", ctx)
        count += len(data)
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    each = elapsed / count * 1e6
    print(f"{label:<12} {rate:>10,.0f} decisions/s  {each:6.1f} µs each   (load {load_ms:.0f} ms)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per hit policy (default 2)")
    args = parser.parse_args()
    print(f"{RULES}-rule table, 4 inputs, Python {sys.version.split()[0]}, one core")
    measure("FIRST", "FIRST", None, args.seconds)
    measure("UNIQUE", "UNIQUE", None, args.seconds)
    measure("COLLECT SUM", "COLLECT", "SUM", args.seconds)


if __name__ == "__main__":
    main()
