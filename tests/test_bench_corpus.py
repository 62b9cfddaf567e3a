"""bench/corpus.py, the runner that plays public BPMN/DMN files as a new user would, on models of our
own (tests/fixtures/corpus), so that it keeps working as the engine changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import corpus
from tests.conftest import FIXTURES, REPO

CORPUS = FIXTURES / "corpus"


def _by_name(results: list[dict]) -> dict[str, dict]:
    return {Path(r["file"]).name: r for r in results}


@pytest.mark.slow  # every model of the corpus played to its end: among the long tests, run first
def test_the_runner_completes_refuses_and_evaluates_our_models_one_process_per_step() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "corpus.py"), str(CORPUS), "--json", "-", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    results = _by_name(json.loads(done.stdout))
    assert set(results) == {"completes.bpmn", "refused.bpmn", "discount.dmn"}

    completes = results["completes.bpmn"]
    # A task for a group (a user made up for it), a timer (the clock moved), a message: each a command
    # on a new Engine, so a restart between any two steps is what was measured.
    assert completes["outcome"] == "completed", completes
    assert completes["models"] == ["corpus_completes"]
    assert completes["steps"] >= 4

    refused = results["refused.bpmn"]
    assert refused["outcome"] == "refused"
    assert refused["names_file"] and refused["names_line"] and refused["names_element"]
    assert any("'nowhere'" in p for p in refused["problems"])

    assert results["discount.dmn"]["outcome"] == "evaluated"
    assert "totals: 1 completed, 1 refused, 1 evaluated (3 files)" in done.stderr


def test_files_that_are_not_models_are_refused_by_name_not_crashed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bpmn"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.dmn"
    broken.write_text('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"><decision', "utf-8")
    results = _by_name([vars(r) for r in corpus.run([empty, broken])])
    for name in ("empty.bpmn", "broken.dmn"):
        assert results[name]["outcome"] == "refused", results[name]
        assert results[name]["names_file"] and results[name]["names_line"]


def test_an_exception_that_is_not_an_engine_error_is_a_crash_with_where_it_came_from(tmp_path: Path) -> None:
    player = corpus.Player(f"sqlite:///{tmp_path / 'c.db'}", cold=True)
    try:
        with pytest.raises(corpus.Crash) as caught:
            player.step("divide", lambda engine: 1 // 0)
    finally:
        player.close()
    assert "divide: ZeroDivisionError" in str(caught.value)
    assert "test_bench_corpus.py" in corpus._where_crashed(caught.value.exc)


def test_derived_form_data_satisfies_the_usual_schemas() -> None:
    schema = {
        "type": "object",
        "required": ["decision", "amount", "when"],
        "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "amount": {"type": "number", "minimum": 10},
            "when": {"type": "string", "format": "date"},
            "note": {"type": "string", "minLength": 3},
            "held": {"type": "string"},
        },
    }
    full, required = corpus.form_candidates(schema, {"held": "already"}, set())
    assert full == {"decision": "approve", "amount": 10, "when": "2026-01-05", "note": "xxx"}
    assert required == {"decision": "approve", "amount": 10, "when": "2026-01-05"}
