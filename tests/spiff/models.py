"""Parsed specs of the test and benchmark models, for tests of the SpiffWorkflow adapter."""

from pathlib import Path

from engine.spiff.parser import compile_process
from engine.xmlsafe import parse_untrusted_xml
from tests.conftest import BENCH_MODELS, FIXTURES

MODEL_FILES = {
    "bench_approval": BENCH_MODELS / "bench_approval.bpmn",
    "bench_loop": BENCH_MODELS / "bench_loop.bpmn",
    "countersign": FIXTURES / "models" / "countersign" / "countersign.bpmn",
    "structures": FIXTURES / "models" / "structures" / "structures.bpmn",
}


def spec_of(process_id: str):
    path: Path = MODEL_FILES[process_id]
    return compile_process(parse_untrusted_xml(path.read_bytes(), path.name), path.name, process_id)


def step_data(process_id: str, step: int) -> dict:
    data = {"step": step, "decision": "approve", "finance_decision": "approve", "legal_decision": "approve"}
    if process_id == "countersign":
        data.update(customer="ACME", amount=10)
    return data
