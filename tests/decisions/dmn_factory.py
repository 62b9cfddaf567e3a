"""Small DMN documents for tests, written as Python data instead of pages of XML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from engine.dmn import DecisionModel, load_decision_model

DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN14 = "https://www.omg.org/spec/DMN/20211108/MODEL/"
DMN15 = "https://www.omg.org/spec/DMN/20230324/MODEL/"
FEEL_URI = "https://www.omg.org/spec/DMN/20191111/FEEL/"
PYTHON_URI = "http://www.python.org"


def _language(language: str | None) -> str:
    return f" expressionLanguage={quoteattr(language)}" if language else ""


def _text(element: str, element_id: str, text: str | None, language: str | None = None) -> str:
    body = "" if text is None else f"<text>{escape(text)}</text>"
    return f'<{element} id="{element_id}"{_language(language)}>{body}</{element}>'


def table(
    decision_id: str,
    inputs: Sequence[tuple[str, str | None, str | None]],
    outputs: Sequence[tuple[str | None, str | None]],
    rules: Iterable[tuple[Sequence[str], Sequence[str]]],
    *,
    hit_policy: str | None = None,
    aggregation: str | None = None,
    name: str | None = None,
    requires: Sequence[str] = (),
    requires_inputs: Sequence[str] = (),
    input_values: Mapping[int, str] | None = None,
    output_values: Mapping[int, str] | None = None,
    defaults: Mapping[int, str] | None = None,
    cell_language: str | None = None,
    input_language: str | None = None,
) -> str:
    """A decision with a table. inputs: (label, expression, typeRef); outputs: (name, typeRef);
    rules: (input cells, output cells). Rule ids are ``<decision_id>_r1``, ``<decision_id>_r2``, ..."""
    parts = []
    for n, (label, expression, type_ref) in enumerate(inputs):
        type_attr = f" typeRef={quoteattr(type_ref)}" if type_ref else ""
        values = ""
        if input_values and n in input_values:
            values = _text("inputValues", f"{decision_id}_iv{n}", input_values[n])
        label_attr = f" label={quoteattr(label)}" if label else ""
        expr = (
            f'<inputExpression id="{decision_id}_ie{n}"{type_attr}{_language(input_language)}>'
            + (f"<text>{escape(expression)}</text>" if expression is not None else "")
            + "</inputExpression>"
        )
        parts.append(f'<input id="{decision_id}_in{n}"{label_attr}>{expr}{values}</input>')
    for n, (out_name, type_ref) in enumerate(outputs):
        attrs = (f" name={quoteattr(out_name)}" if out_name else "") + (
            f" typeRef={quoteattr(type_ref)}" if type_ref else ""
        )
        inner = ""
        if output_values and n in output_values:
            inner += _text("outputValues", f"{decision_id}_ov{n}", output_values[n])
        if defaults and n in defaults:
            inner += _text("defaultOutputEntry", f"{decision_id}_def{n}", defaults[n])
        parts.append(f'<output id="{decision_id}_out{n}"{attrs}>{inner}</output>')
    for r, (cells, results) in enumerate(rules, start=1):
        entries = "".join(
            _text("inputEntry", f"{decision_id}_r{r}i{c}", cell, cell_language)
            for c, cell in enumerate(cells)
        )
        entries += "".join(
            _text("outputEntry", f"{decision_id}_r{r}o{c}", result) for c, result in enumerate(results)
        )
        parts.append(f'<rule id="{decision_id}_r{r}">{entries}</rule>')
    hit = f" hitPolicy={quoteattr(hit_policy)}" if hit_policy else ""
    agg = f" aggregation={quoteattr(aggregation)}" if aggregation else ""
    return (
        f'<decision id="{decision_id}" name={quoteattr(name or decision_id)}>'
        + _requirements(requires, requires_inputs)
        + f'<decisionTable id="{decision_id}_table"{hit}{agg}>{"".join(parts)}</decisionTable></decision>'
    )


def literal(
    decision_id: str,
    text: str,
    *,
    name: str | None = None,
    type_ref: str | None = None,
    requires: Sequence[str] = (),
    requires_inputs: Sequence[str] = (),
    language: str | None = None,
) -> str:
    variable = (
        f"<variable name={quoteattr(name or decision_id)} typeRef={quoteattr(type_ref)}/>" if type_ref else ""
    )
    return (
        f'<decision id="{decision_id}" name={quoteattr(name or decision_id)}>{variable}'
        + _requirements(requires, requires_inputs)
        + _text("literalExpression", f"{decision_id}_expr", text, language)
        + "</decision>"
    )


def input_data(data_id: str, name: str, type_ref: str | None = None) -> str:
    variable = f"<variable name={quoteattr(name)} typeRef={quoteattr(type_ref)}/>" if type_ref else ""
    return f'<inputData id="{data_id}" name={quoteattr(name)}>{variable}</inputData>'


def _requirements(decisions: Sequence[str], inputs: Sequence[str]) -> str:
    parts = [
        f'<informationRequirement><requiredDecision href="#{d}"/></informationRequirement>' for d in decisions
    ]
    parts += [
        f'<informationRequirement><requiredInput href="#{i}"/></informationRequirement>' for i in inputs
    ]
    return "".join(parts)


def document(*elements: str, namespace: str = DMN13, language: str | None = None) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{namespace}" id="defs" name="Test" '
        f'namespace="https://example.test/dmn"{_language(language)}>\n'
        + "\n".join(elements)
        + "\n</definitions>\n"
    ).encode()


def load(*elements: str, namespace: str = DMN13, language: str | None = None) -> DecisionModel:
    return load_decision_model({"test.dmn": document(*elements, namespace=namespace, language=language)})


def single_input(
    cells_and_results: Iterable[tuple[str, str]],
    *,
    type_ref: str | None = None,
    hit_policy: str | None = None,
    **kwargs: object,
) -> DecisionModel:
    """A one-input (``x``), one-output table: [(cell, output)]."""
    return load(
        table(
            "d",
            [("X", "x", type_ref)],
            [("out", None)],
            [([cell], [result]) for cell, result in cells_and_results],
            hit_policy=hit_policy,
            **kwargs,
        )
    )  # type: ignore[arg-type]
