"""Every expression of a process compiled at deploy, so a bad one is refused there and not when it runs.

The rule for which language a text is in is ``engine/scripting/expressions.py``; here each place a
model holds an expression is found and compiled by it, and a problem names the file, the element's
line and id, and (for JUEL and FEEL) the column in the expression:

- sequence-flow conditions, with their ``language`` attribute (python, juel, feel; others refused);
- loop conditions, multi-instance loop cardinalities and completion conditions;
- user task assignee, candidate groups and users, due date and priority when written ``${…}``/``=…``;
- a boundary event's ``escalate`` groups, a message's correlation expression.

Timer definitions are checked by ``compiler.timer_problem``, through the same rule.

SpiffWorkflow sees only an expression's text, not its ``language`` attribute, so a condition
whose language is declared but not written in its text (``language="feel"`` over ``amount > 5``)
gets the marker that says it (``=amount > 5``) in the document that is compiled: it runs in the
language it was checked in.
"""

from __future__ import annotations

from lxml import etree

from engine.errors import Problem, ScriptError
from engine.repository.bpmn_document import BPMN_NS, BpmnDocument
from engine.scripting.expressions import FEEL, JUEL, compile_expression, is_expression, language_of

_LOOP_TEXTS = (
    ("standardLoopCharacteristics", "loopCondition", "loop condition"),
    ("multiInstanceLoopCharacteristics", "loopCardinality", "loop cardinality"),
    ("multiInstanceLoopCharacteristics", "completionCondition", "completion condition"),
)


def _text(node: etree._Element | None) -> str | None:
    text = node.text.strip() if node is not None and node.text else ""
    return text or None


def _activity_of(node: etree._Element) -> etree._Element:
    parent = node.getparent()
    return parent if parent is not None else node


def expression_problems(doc: BpmnDocument, process: etree._Element) -> list[Problem]:
    """Problems of every expression in ``process`` (see the module's docstring); marks conditions
    with their declared language."""
    problems: list[Problem] = []

    def check(text: str, element: etree._Element | str, what: str, language: str | None = None) -> bool:
        try:
            compile_expression(text, language)
        except ScriptError as exc:
            if isinstance(element, str):
                element_id, line = element, doc.line_of(element)
            else:
                element_id, line = element.get("id"), element.sourceline
            problems.append(
                Problem(f"{what}: {exc.message}", file=doc.file_name, line=line, element_id=element_id)
            )
            return False
        return True

    for condition in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        flow = condition.getparent()
        text = _text(condition)
        if flow is None or text is None:
            continue
        language = condition.get("language")
        if check(text, flow, "condition", language):
            _mark_language(condition, text, language)

    for holder, child, what in _LOOP_TEXTS:
        for node in process.iter(f"{{{BPMN_NS}}}{child}"):
            parent = node.getparent()
            if parent is None or etree.QName(parent).localname != holder:
                continue
            text = _text(node)
            if text is not None:
                check(text, _activity_of(parent), what)

    for task in doc.user_tasks.values():
        attributes = [
            ("assignee", task.assignee),
            ("due date", task.due),
            ("priority", task.priority),
            *(("candidate groups", group) for group in task.candidate_groups),
            *(("candidate users", user) for user in task.candidate_users),
        ]
        for what, raw in attributes:
            if raw and is_expression(raw):
                check(raw.strip(), task.id, what)

    for trigger in doc.triggers.values():
        escalate = trigger.properties.get("escalate", "").strip()
        if escalate and is_expression(escalate):
            check(escalate, trigger.element_id, "escalate")
        if trigger.correlation:
            check(trigger.correlation, trigger.element_id, "correlation key")
    return problems


def _mark_language(condition: etree._Element, text: str, language: str | None) -> None:
    declared = language_of(language)
    if declared == FEEL and not text.startswith("="):
        condition.text = "=" + text
    elif declared == JUEL and not is_expression(text):
        condition.text = "${" + text + "}"
