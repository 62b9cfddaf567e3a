"""Small BPMN models for the call-activity tests: parent → child → grandchild."""

from __future__ import annotations

from itertools import pairwise

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://example.com/calls">\n'
)


def definitions(*processes: str) -> str:
    return HEAD + "\n".join(processes) + "\n</bpmn:definitions>\n"


def chain(process_id: str, elements: list[str], executable: bool = True, extra: str = "") -> str:
    """A process running ``elements`` (XML of flow nodes, each with an id) one after the other."""
    start, end = f"{process_id}_start", f"{process_id}_end"  # ids are unique across a file's processes
    ids = [start] + [_id(e) for e in elements] + [end]
    nodes = [f'<bpmn:startEvent id="{start}"/>', *elements, f'<bpmn:endEvent id="{end}"/>']
    flows = [
        f'<bpmn:sequenceFlow id="{process_id}_f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(pairwise(ids))
    ]
    return (
        f'<bpmn:process id="{process_id}" isExecutable="{"true" if executable else "false"}">\n  '
        + "\n  ".join(nodes + flows)
        + extra
        + "\n</bpmn:process>"
    )


def _id(element: str) -> str:
    return element.split('id="', 1)[1].split('"', 1)[0]


def user_task(task_id: str, group: str = "sales", fields: tuple[str, ...] = ()) -> str:
    form = "".join(f'<camunda:formField id="{f}" type="string"/>' for f in fields)
    extensions = (
        f"<bpmn:extensionElements><camunda:formData>{form}</camunda:formData></bpmn:extensionElements>"
    )
    body = extensions if fields else ""
    return f'<bpmn:userTask id="{task_id}" camunda:candidateGroups="{group}">{body}</bpmn:userTask>'


def script(task_id: str, text: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}" scriptFormat="python"><bpmn:script>{text}</bpmn:script></bpmn:scriptTask>'


def call(task_id: str, called: str, ins: str = "", outs: str = "", attrs: str = "", inner: str = "") -> str:
    extensions = f"<bpmn:extensionElements>{ins}{outs}</bpmn:extensionElements>" if ins or outs else ""
    return f'<bpmn:callActivity id="{task_id}" calledElement="{called}" {attrs}>{extensions}{inner}</bpmn:callActivity>'


def camunda_in(source: str, target: str | None = None) -> str:
    return f'<camunda:in source="{source}" target="{target or source}"/>'


def camunda_out(source: str, target: str | None = None) -> str:
    return f'<camunda:out source="{source}" target="{target or source}"/>'


BUSINESS_KEY_IN = '<camunda:in businessKey="#{execution.processBusinessKey}"/>'
ALL_IN = '<camunda:in variables="all"/>'
ALL_OUT = '<camunda:out variables="all"/>'

PARENT = definitions(
    chain(
        "parent",
        [
            call(
                "call_child",
                "child",
                ins=camunda_in("amount") + BUSINESS_KEY_IN,
                outs=camunda_out("verdict") + camunda_out("reviewer", "child_reviewer"),
            ),
            user_task("after"),
        ],
    )
)
CHILD = definitions(
    chain(
        "child",
        [
            user_task("review"),
            call("call_grandchild", "grandchild", ins=ALL_IN + BUSINESS_KEY_IN, outs=ALL_OUT),
        ],
    )
)
GRANDCHILD = definitions(
    chain(
        "grandchild",
        [
            script("judge", 'verdict = "small" if amount &lt; 100 else "large"'),
            user_task("confirm", fields=("reviewer",)),
        ],
    )
)


def child_model(task_id: str = "review", starters: str | None = None) -> str:
    """A child that waits for one user task; ``starters``: its candidateStarterGroups."""
    text = chain("child", [user_task(task_id)])
    if starters:
        text = text.replace(
            'isExecutable="true"', f'isExecutable="true" camunda:candidateStarterGroups="{starters}"'
        )
    return definitions(text)


def caller(process_id: str, called: str, attrs: str = "", ins: str = "", outs: str = "") -> str:
    return definitions(
        chain(process_id, [call("call_it", called, ins=ins, outs=outs, attrs=attrs), user_task("after")])
    )


MULTI = definitions(
    chain(
        "multi",
        [
            call(
                "call_each",
                "grandchild",
                ins=camunda_in("item", "amount"),
                outs=camunda_out("verdict"),
                inner=(
                    "<bpmn:multiInstanceLoopCharacteristics>"
                    "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
                    "<bpmn:loopDataOutputRef>verdicts</bpmn:loopDataOutputRef>"
                    '<bpmn:inputDataItem id="item" name="item"/>'
                    '<bpmn:outputDataItem id="verdict" name="verdict"/>'
                    "</bpmn:multiInstanceLoopCharacteristics>"
                ),
            ),
            user_task("after"),
        ],
    )
)

# A model calling itself at once: without a bound it would start instances for ever in one command.
RECURSIVE = definitions(chain("recursive", [call("again", "recursive")]))

# Two executable processes (each its own model) and a sketch that is not executable.
PAIR = definitions(
    chain(
        "main",
        [call("call_part", "part", attrs='camunda:calledElementBinding="deployment"'), user_task("after")],
    ),
    chain("part", [user_task("part_task")]),
    chain("sketch", [user_task("idea")], executable=False),
)


ERROR = '<bpmn:error id="rejected_error" name="Rejected" errorCode="REJECTED"/>'
FAILING_CHILD = (
    HEAD
    + ERROR
    + chain("failing", [user_task("look")]).replace(
        '<bpmn:endEvent id="failing_end"/>',
        '<bpmn:endEvent id="failing_end"><bpmn:errorEventDefinition errorRef="rejected_error"/></bpmn:endEvent>',
    )
    + "\n</bpmn:definitions>\n"
)


def guarded_caller(with_boundary: bool = True) -> str:
    boundary = (
        '<bpmn:boundaryEvent id="on_rejected" attachedToRef="call_it">'
        '<bpmn:errorEventDefinition errorRef="rejected_error"/></bpmn:boundaryEvent>'
        + user_task("handle")
        + '<bpmn:endEvent id="handled"/>'
        + '<bpmn:sequenceFlow id="b1" sourceRef="on_rejected" targetRef="handle"/>'
        + '<bpmn:sequenceFlow id="b2" sourceRef="handle" targetRef="handled"/>'
    )
    process = chain(
        "guarded",
        [call("call_it", "failing", outs=camunda_out("why")), user_task("after")],
        extra=boundary if with_boundary else "",
    )
    return HEAD + ERROR + process + "\n</bpmn:definitions>\n"


def timed_caller() -> str:
    """A call activity with an interrupting timer: after an hour the parent stops waiting for its child."""
    boundary = (
        '<bpmn:boundaryEvent id="too_slow" attachedToRef="call_it">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
        + user_task("chase")
        + '<bpmn:endEvent id="chased"/>'
        + '<bpmn:sequenceFlow id="t1" sourceRef="too_slow" targetRef="chase"/>'
        + '<bpmn:sequenceFlow id="t2" sourceRef="chase" targetRef="chased"/>'
    )
    return definitions(chain("timed", [call("call_it", "child"), user_task("after")], extra=boundary))
