"""The benchmark's table is what it claims to be: 50 rules, exactly one match per input."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.dmn import load_decision_model

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_decisions.py"


def bench_module():
    spec = importlib.util.spec_from_file_location("bench_decisions", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_table_matches_exactly_one_rule_per_input() -> None:
    bench = bench_module()
    unique = load_decision_model({"b.dmn": bench.table_xml("UNIQUE", None)})
    first = load_decision_model({"b.dmn": bench.table_xml("FIRST", None)})
    total = load_decision_model({"b.dmn": bench.table_xml("COLLECT", "SUM")})
    assert len(unique.find("bench_table").logic.rules) == bench.RULES == 50
    for ctx in bench.contexts(300):
        bucket = ctx["amount"] // bench.BUCKET
        outcome = unique.evaluate("bench_table", ctx)  # UNIQUE would raise on a second match
        assert outcome.trace[0].matched_rules == [f"rule{bucket}"]
        assert outcome.result == {"level": f"level {bucket // 10}", "fee": bucket * 10}
        assert first.evaluate("bench_table", ctx).result == outcome.result
        assert total.evaluate("bench_table", ctx).result == bucket * 10
