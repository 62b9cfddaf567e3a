"""The engine's loops in place of SpiffWorkflow's recursions and scans must change nothing but cost.

- the iterative parser builds the same specs as SpiffWorkflow's recursive one, on every model of
  the repository and on generated ones;
- workflows run with the engine's walks (prediction, cancelling, ancestry), its task index and its
  parallel join behave exactly like stock BpmnWorkflow on stock specs with SpiffWorkflow's
  recursive walks, step by step, cancelled midway too; the join's every decision is checked
  against SpiffWorkflow's own;
- ``tree_order`` puts any set of tasks in the order of SpiffWorkflow's tree iterator;
- trees far deeper than the recursion limit are built, walked and cancelled.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn.parser.ProcessParser import AdHocParser, ProcessParser
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as SpiffParallelGateway
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.spiff import joins, tree_walks
from engine.spiff.parser import ApprovalsBpmnParser, compile_process
from engine.spiff.script_engine import SANDBOX_SCRIPT_ENGINE
from engine.spiff.task_index import TaskIndex
from engine.spiff.tree_walks import UNLIMITED_DEPTH
from engine.spiff.workflow import ApprovalsWorkflow, tree_order
from engine.xmlsafe import parse_untrusted_xml
from tests.repository.big_models import Flow
from tests.spiff.models import MODEL_FILES, step_data

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_MODELS = sorted(
    p for d in ("process_models", "tests/fixtures/models", "bench/models") for p in (ROOT / d).rglob("*.bpmn")
)

LOOP_THROUGH_JOIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="join_loop" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:exclusiveGateway id="again"/>
  <bpmn:parallelGateway id="split"/>
  <bpmn:userTask id="left"/>
  <bpmn:userTask id="right"/>
  <bpmn:scriptTask id="count"><bpmn:script>rounds = step</bpmn:script></bpmn:scriptTask>
  <bpmn:parallelGateway id="join"/>
  <bpmn:exclusiveGateway id="decide" default="out"/>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>
  <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="split"/>
  <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="left"/>
  <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="right"/>
  <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="count"/>
  <bpmn:sequenceFlow id="f6" sourceRef="left" targetRef="join"/>
  <bpmn:sequenceFlow id="f7" sourceRef="right" targetRef="join"/>
  <bpmn:sequenceFlow id="f8" sourceRef="count" targetRef="join"/>
  <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="decide"/>
  <bpmn:sequenceFlow id="back" sourceRef="decide" targetRef="again">
    <bpmn:conditionExpression>step &lt; 6</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="out" sourceRef="decide" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
"""


def generated() -> dict[str, str]:
    return {
        "wide_people": Flow("wide_people").wide(12, user_tasks=True).xml(),
        "wide_then_people": Flow("wide_then_people")
        .wide(6)
        .user("check")
        .wide(5, user_tasks=True, name="q")
        .xml(),
        "people_then_wide": Flow("people_then_wide").user("ask").chain(30).wide(8).user("sign").xml(),
        "diamonds": _diamonds(),
        "join_loop": LOOP_THROUGH_JOIN,
        "many_ends": _many_ends(),
    }


def _many_ends() -> str:
    """Parallel branches that each end on their own end event: the process ends after the last."""
    flow = Flow("many_ends").user("ask")
    flow.add('<bpmn:parallelGateway id="split"/>', "split")
    for i in range(4):
        flow.parts.append(f'<bpmn:userTask id="branch{i}"/>')
        flow.parts.append(f'<bpmn:endEvent id="end{i}"/>')
        flow.connect("split", f"branch{i}")
        flow.connect(f"branch{i}", f"end{i}")
    flow.parts.append('<bpmn:scriptTask id="quick"><bpmn:script>q = 1</bpmn:script></bpmn:scriptTask>')
    flow.connect("split", "quick")
    flow.last = "quick"
    return flow.xml()


def _diamonds() -> str:
    flow = Flow("diamonds")
    for i in range(4):
        flow.wide(2, user_tasks=i % 2 == 0, name=f"d{i}").script(f"s{i}", f"step_{i} = {i}")
    return flow.xml()


class StockParser(ApprovalsBpmnParser):
    """The engine's parser with SpiffWorkflow's own process parsing and parallel gateway."""

    PROCESS_PARSER_CLASS = ProcessParser
    AD_HOC_PARSER_CLASS = AdHocParser
    OVERRIDE_PARSER_CLASSES = {
        **ApprovalsBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("parallelGateway"): (GatewayParser, SpiffParallelGateway),
    }


def parse(
    xml: bytes, name: str, process_id: str, parser_class: type = ApprovalsBpmnParser
) -> tuple[Any, dict]:
    parser = parser_class()
    parser.add_bpmn_xml(parse_untrusted_xml(xml, name), name)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def _plain(value: Any, depth: int = 0) -> Any:
    """A comparable picture of a spec attribute: specs by name, containers element-wise."""
    if isinstance(value, TaskSpec):
        return ("spec", value.name)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {repr(k): _plain(v, depth + 1) for k, v in value.items()}
    if depth > 4 or not hasattr(value, "__dict__"):
        return type(value).__name__
    return (
        type(value).__name__,
        {k: _plain(v, depth + 1) for k, v in vars(value).items() if not k.startswith("_wf")},
    )


def spec_picture(spec: Any, subprocess_specs: dict) -> list:
    picture = []
    for process in (spec, *subprocess_specs.values()):
        for name, task_spec in process.task_specs.items():
            attributes = {
                k: _plain(v)
                for k, v in vars(task_spec).items()
                if k not in ("_wf_spec",) and not k.endswith("_event") and not k.startswith("_engine")
            }
            picture.append((process.name, name, type(task_spec).__name__, attributes))
    return picture


def process_id_of(xml: bytes) -> str:
    root = parse_untrusted_xml(xml, "model.bpmn")
    from engine.repository.bpmn_document import executable_processes

    return executable_processes(root)[0].get("id")


@pytest.mark.parametrize("path", REPOSITORY_MODELS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_iterative_parser_builds_the_specs_spiffworkflow_builds(path):
    xml = path.read_bytes()
    process_id = process_id_of(xml)
    assert spec_picture(*parse(xml, path.name, process_id)) == spec_picture(
        *parse(xml, path.name, process_id, StockParser)
    )


@pytest.mark.parametrize("name", sorted(generated()))
def test_the_iterative_parser_builds_the_same_specs_for_generated_models(name):
    xml = generated()[name].encode()
    assert spec_picture(*parse(xml, "m.bpmn", name)) == spec_picture(*parse(xml, "m.bpmn", name, StockParser))


@contextmanager
def spiffworkflow_recursions() -> Iterator[None]:
    tree_walks.install(originals=True)
    try:
        yield
    finally:
        tree_walks.install()


@pytest.fixture
def checked_joins(monkeypatch) -> list[int]:
    """Every decision of the engine's parallel join, compared with SpiffWorkflow's on the same task."""
    decided = []
    fast = joins.ParallelGateway._check_threshold_unstructured

    def both(self, my_task):
        ours = fast(self, my_task)
        if isinstance(my_task.workflow.tasks, TaskIndex):
            with spiffworkflow_recursions():
                assert ours == SpiffParallelGateway._check_threshold_unstructured(self, my_task), self.name
            decided.append(ours)
        return ours

    monkeypatch.setattr(joins.ParallelGateway, "_check_threshold_unstructured", both)
    return decided


def snapshot(workflow: Any) -> list:
    with spiffworkflow_recursions():
        tasks = BpmnWorkflow.get_tasks(workflow)
    return [(t.depth, t.task_spec.name, TaskState.get_name(t.state), sorted(t.data.items())) for t in tasks]


def ready_manual(workflow: Any) -> list:
    found = BpmnWorkflow.get_tasks(workflow, state=TaskState.READY, manual=True)
    return sorted(found, key=lambda t: t.task_spec.name)


def _sources() -> dict[str, tuple[bytes, str]]:
    sources = {pid: (path.read_bytes(), path.name) for pid, path in MODEL_FILES.items()}
    sources.update({pid: (xml.encode(), f"{pid}.bpmn") for pid, xml in generated().items()})
    return sources


CASES = [
    (pid, pick, cancel_at)
    for pid in sorted(_sources())
    for pick, cancel_at in ((0, None), (-1, None), (1, 2))
    if pid != "bench_loop" or pick == 0
]


@pytest.mark.parametrize("process_id, pick, cancel_at", CASES)
def test_workflows_run_as_spiffworkflow_runs_them(process_id, pick, cancel_at, checked_joins):
    xml, name = _sources()[process_id]
    ours = ApprovalsWorkflow(*parse(xml, name, process_id))
    with spiffworkflow_recursions():
        stock = BpmnWorkflow(*parse(xml, name, process_id, StockParser), script_engine=SANDBOX_SCRIPT_ENGINE)
    rng = random.Random(process_id)

    def act(workflow: Any, action: Any) -> None:
        if isinstance(workflow, ApprovalsWorkflow):
            action()
        else:
            with spiffworkflow_recursions():
                action()

    for wf in (stock, ours):
        for task in BpmnWorkflow.get_tasks(wf, state=TaskState.READY):
            task.data.update(step_data(process_id, 0))
        act(wf, wf.do_engine_steps)
    steps = 0
    every = 25 if process_id == "bench_loop" else 1  # its 200 rounds: a divergence would persist
    while True:
        if steps % every == 0 or stock.is_completed():
            assert snapshot(ours) == snapshot(stock), f"diverged after {steps} steps"
            _check_tree_order(ours, rng)
        assert ours.is_completed() == stock.is_completed()
        candidates = ready_manual(stock), ready_manual(ours)
        assert [t.task_spec.name for t in candidates[0]] == [t.task_spec.name for t in candidates[1]]
        if not candidates[0]:
            break
        if steps == cancel_at:
            for wf in (stock, ours):
                act(wf, wf.cancel)
            assert snapshot(ours) == snapshot(stock), "diverged on cancelling"
            return
        steps += 1
        for wf, ready in zip((stock, ours), candidates, strict=True):
            task = ready[pick % len(ready)]
            task.data.update(step_data(process_id, steps))

            def step(task: Any = task, wf: Any = wf) -> None:
                task.run()
                wf.do_engine_steps()

            act(wf, step)
    assert stock.is_completed()
    if "parallelGateway" in xml.decode():
        assert checked_joins, "the join was never decided"


def _check_tree_order(workflow: Any, rng: random.Random) -> None:
    everything = list(TaskIterator(workflow.task_tree, max_depth=UNLIMITED_DEPTH))
    for size in (2, 3, len(everything) // 2, len(everything)):
        chosen = rng.sample(everything, min(size, len(everything)))
        wanted = {t.id for t in chosen}
        assert [t.id for t in tree_order(chosen)] == [t.id for t in everything if t.id in wanted]


DEEP = 3000  # three times Python's default recursion limit


def deep_workflow(extra: Flow | None = None) -> ApprovalsWorkflow:
    flow = extra or Flow("deep")
    return ApprovalsWorkflow(
        *compile_process(parse_untrusted_xml(flow.xml().encode(), "d.bpmn"), "d.bpmn", flow.pid)
    )


def test_a_tree_far_deeper_than_the_recursion_limit_is_predicted_walked_and_cancelled():
    workflow = deep_workflow(Flow("deep").user("first").chain(DEEP))
    tasks = list(TaskIterator(workflow.task_tree, max_depth=UNLIMITED_DEPTH))
    assert len(tasks) > DEEP  # the whole chain is predicted below the open task
    deepest = tasks[-1]
    assert deepest.is_descendant_of(workflow.task_tree)
    assert deepest.find_ancestor("first") is not None and deepest.find_ancestor("nowhere") is None
    assert tree_order([deepest, tasks[1]]) == [tasks[1], deepest]
    workflow.cancel()
    assert not [t for t in workflow.tasks.values() if t.state & TaskState.NOT_FINISHED_MASK]


def test_a_deep_chain_runs_and_a_join_after_it_fires():
    workflow = deep_workflow(Flow("deep_join").chain(DEEP).wide(3).chain(DEEP, prefix="u"))
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert (workflow.data["step"], workflow.data["b2"]) == (DEEP - 1, 2)


def test_cancel_and_drop_from_a_finished_task_reach_an_open_task_far_below():
    for operation in ("cancel", "_drop_children"):
        workflow = deep_workflow(Flow(f"deep_{operation[1:]}").chain(DEEP).user("last"))
        workflow.do_engine_steps()
        [last] = workflow.ready_user_tasks()
        assert last.depth > DEEP
        getattr(workflow.task_tree, operation)()  # the root finished long ago: the walk goes down
        if operation == "cancel":
            assert last.state == TaskState.CANCELLED
        else:
            assert last.id not in workflow.tasks and workflow.ready_user_tasks() == []


def test_with_spiffworkflows_recursion_the_same_tree_cannot_be_built():
    """What the loops replace: proof that the deep tests above test something."""
    flow = Flow("deep").user("first").chain(DEEP)
    spec = compile_process(parse_untrusted_xml(flow.xml().encode(), "d.bpmn"), "d.bpmn", flow.pid)
    with spiffworkflow_recursions(), pytest.raises(RecursionError):
        ApprovalsWorkflow(*spec)
    with pytest.raises(Exception, match=r"[Rr]ecursion"):
        parse(flow.xml().encode(), "d.bpmn", flow.pid, StockParser)


def _parent_lookups_to_run(n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How often the task tree is climbed (``Task.parent``) to run a parallel split of n branches."""
    from SpiffWorkflow.task import Task

    flow = Flow(f"wide{n}").wide(n)
    workflow = ApprovalsWorkflow(
        *compile_process(parse_untrusted_xml(flow.xml().encode(), "w.bpmn"), "w.bpmn", flow.pid)
    )
    count = [0]
    original = Task.parent

    def counted(task: Any) -> Any:
        count[0] += 1
        return original.fget(task)

    with monkeypatch.context() as patch:
        patch.setattr(Task, "parent", property(counted, original.fset))
        workflow.do_engine_steps()
    assert workflow.is_completed()
    return count[0]


def test_the_work_of_running_a_wide_model_grows_linearly_with_its_width(monkeypatch):
    # Counted, not timed: SpiffWorkflow's join climbed from every copy of the join to decide, for
    # every branch, which made four times the branches sixteen times the work.
    small, large = (_parent_lookups_to_run(n, monkeypatch) for n in (100, 400))
    assert large / small < 6, (small, large)
