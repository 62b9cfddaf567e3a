"""``load_decision_model``: from the DMN files of a bundle to a ``DecisionModel``.

Every file is read and every decision compiled even after a problem was found, so the
process owner gets the complete list in one ``ModelValidationError``.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.dmn.languages import ExpressionCompiler, ExpressionProblem, language_of
from engine.dmn.literal import LiteralDecision
from engine.dmn.model import Decision, DecisionModel
from engine.dmn.parser import DecisionSource, DocumentSource, InputDataSource, read_document
from engine.dmn.problems import ProblemLog
from engine.dmn.table_builder import build_table, shown
from engine.dmn.typeref import TypeRef, resolve_type
from engine.errors import ModelValidationError


def _read_all(files: Mapping[str, bytes], log: ProblemLog) -> list[DocumentSource]:
    documents = []
    for file_name in sorted(files):
        try:
            document = read_document(files[file_name], file_name, log)
        except ModelValidationError as exc:
            log.problems.extend(exc.problems)
            continue
        if document is not None:
            if not document.decisions:
                # Say so rather than deploy a file that can never be called (DMN 1.3's business
                # knowledge models and decision services hold logic only a decision can use here).
                log.add(
                    "the file holds no decision: nothing here could be called (business knowledge "
                    "models and decision services are not supported; put the logic in a decision)",
                    file=file_name,
                    line=1,
                )
            documents.append(document)
    return documents


def _index(
    documents: list[DocumentSource], log: ProblemLog
) -> tuple[dict[str, DecisionSource], dict[str, list[InputDataSource]]]:
    """Decisions by id (unique across the bundle: callers name them by id) and input data
    by id (a list: ids only need to be unique within their own file)."""
    decisions: dict[str, DecisionSource] = {}
    input_data: dict[str, list[InputDataSource]] = {}
    names: dict[str, DecisionSource] = {}
    for document in documents:
        for data in document.input_data:
            input_data.setdefault(data.id, []).append(data)
        for decision in document.decisions:
            if decision.id in decisions:
                if decisions[decision.id].file != decision.file:  # same file: reported as a duplicate id
                    other = decisions[decision.id]
                    log.add(
                        f"decision id '{decision.id}' is also used in {other.file} (line {other.line})",
                        file=decision.file,
                        line=decision.line,
                        decision_id=decision.id,
                    )
                continue
            if decision.name in names:
                other = names[decision.name]
                log.add(
                    f"decision name '{decision.name}' is also used by decision '{other.id}' in {other.file}; "
                    f"results are keyed by name, so names must be unique",
                    file=decision.file,
                    line=decision.line,
                    decision_id=decision.id,
                )
            decisions[decision.id] = decision
            names.setdefault(decision.name, decision)
    return decisions, input_data


def _input_data_for(
    source: DecisionSource, target_id: str, input_data: Mapping[str, list[InputDataSource]]
) -> InputDataSource | str | None:
    """The input data an href names: in the decision's own file first, else the only one with that id."""
    candidates = input_data.get(target_id, [])
    for data in candidates:
        if data.file == source.file:
            return data
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        return "ambiguous"
    return None


def _requirements(
    source: DecisionSource,
    decisions: Mapping[str, DecisionSource],
    input_data: Mapping[str, list[InputDataSource]],
    log: ProblemLog,
) -> tuple[list[str], list[InputDataSource]]:
    required_decisions: list[str] = []
    required_inputs: list[InputDataSource] = []
    for requirement in source.requirements:
        if requirement.kind == "decision":
            if requirement.target_id in decisions:
                required_decisions.append(requirement.target_id)
            else:
                log.add(
                    f"requires decision '{requirement.target_id}', which is not in the model",
                    file=source.file,
                    line=requirement.line,
                    decision_id=source.id,
                )
            continue
        found = _input_data_for(source, requirement.target_id, input_data)
        if isinstance(found, InputDataSource):
            required_inputs.append(found)
        elif found == "ambiguous":
            log.add(
                f"requires input data '{requirement.target_id}', which several other files define",
                file=source.file,
                line=requirement.line,
                decision_id=source.id,
            )
        else:
            log.add(
                f"requires input data '{requirement.target_id}', which is not in the model",
                file=source.file,
                line=requirement.line,
                decision_id=source.id,
            )
    return required_decisions, required_inputs


def published_names(source: DecisionSource) -> list[str]:
    """The names a requiring decision may read this decision's result under: its name and its id,
    and, as Camunda 7 publishes them, the names of its outputs (engine/dmn/evaluate.py)."""
    names = [source.name, source.id]
    if source.logic == "decisionTable" and source.table is not None:
        # as table_builder names an output column: its name, else its label, else the decision's name
        names += [(o.name or o.label or "").strip() or source.name for o in source.table.outputs]
    return names


def _plans(decisions: Mapping[str, Decision], log: ProblemLog) -> dict[str, tuple[Decision, ...]]:
    """For each decision: it and everything it requires, required ones first (depth-first)."""
    plans: dict[str, tuple[Decision, ...]] = {}
    reported: set[str] = set()

    def visit(decision_id: str, path: list[str], order: list[Decision], done: set[str]) -> None:
        if decision_id in done:
            return
        if decision_id in path:
            cycle = [*path[path.index(decision_id) :], decision_id]
            if decision_id not in reported:
                reported.update(cycle)
                decision = decisions[decision_id]
                log.add(
                    "decisions require each other in a cycle: " + " -> ".join(cycle),
                    file=decision.file,
                    line=decision.line,
                    decision_id=decision_id,
                )
            return
        decision = decisions[decision_id]
        for required in decision.required_decisions:
            if required in decisions:
                visit(required, [*path, decision_id], order, done)
        done.add(decision_id)
        order.append(decision)

    for decision_id in decisions:
        order: list[Decision] = []
        visit(decision_id, [], order, set())
        plans[decision_id] = tuple(order)
    return plans


def _compile(
    source: DecisionSource,
    decisions: Mapping[str, DecisionSource],
    input_data: Mapping[str, list[InputDataSource]],
    item_types: Mapping[str, str | None],
    known_names: frozenset[str],
    log: ProblemLog,
) -> Decision | None:
    problems = log.for_decision(source.file, source.id)
    required_decisions, required_inputs = _requirements(source, decisions, input_data, log)
    visible = None
    # Only a decision that declares input data is a complete graph whose every name can be checked.
    # One that requires decisions alone (Camunda 7's dinnerDecisions: inputData is optional there)
    # reads its other names from the caller's data, so nothing can tell a typo from a variable.
    if any(requirement.kind != "decision" for requirement in source.requirements):
        visible = frozenset(
            [name for d in required_decisions for name in published_names(decisions[d])]
            + [i.name for i in required_inputs]
        )
    try:
        default_language = language_of(source.expression_language)
    except ExpressionProblem as exc:
        problems.add(str(exc), line=source.line)
        return None
    compiler = ExpressionCompiler(known_names, default_language)

    input_types: dict[str, TypeRef] = {}
    for data in required_inputs:
        try:
            type_ref = resolve_type(data.type_ref, item_types)
        except ValueError as exc:
            log.add(str(exc), file=data.file, line=data.line, element_id=data.id)
            continue
        if type_ref is not None:
            input_types[data.name] = type_ref
    try:
        result_type = resolve_type(source.type_ref, item_types)
    except ValueError as exc:
        problems.add(str(exc), line=source.line)
        result_type = None

    if source.logic == "decisionTable":
        table, spiffworkflow_style = build_table(source, compiler, item_types, problems, visible)
        if table is None:
            return None
        return Decision(
            source.id,
            source.name,
            "table",
            source.file,
            source.line,
            tuple(required_decisions),
            tuple(i.name for i in required_inputs),
            tuple(c.label for c in table.inputs),
            table.output_names,
            table.hit_policy,
            table.aggregation,
            spiffworkflow_style,
            table,
            input_types,
        )
    if source.logic == "literalExpression":
        text = source.literal
        if text is None or not (text.text or "").strip():
            problems.add("the literal expression is empty", line=source.line)
            return None
        try:
            compiled = compiler.expression(text.text or "", text.language)
        except ExpressionProblem as exc:
            problems.add(
                f"{shown(text.text)} is {exc}" if str(exc).startswith("not ") else str(exc),
                line=text.line,
                element_id=text.element_id,
            )
            return None
        if visible is not None:
            for name in sorted(compiled.names - visible):
                problems.add(
                    f"unknown name '{name}'; this decision requires only: "
                    f"{', '.join(sorted(visible)) or 'nothing'}",
                    line=text.line,
                )
        if compiled.is_constant and result_type is not None and not result_type.accepts(compiled.constant):
            problems.add(
                f"the value {compiled.constant!r} does not match the decision's type {result_type.declared}",
                line=text.line,
            )
        if problems.count:
            return None
        return Decision(
            source.id,
            source.name,
            "literal",
            source.file,
            source.line,
            tuple(required_decisions),
            tuple(i.name for i in required_inputs),
            (),
            (source.name,),
            None,
            None,
            compiled.language == "python",
            LiteralDecision(source.id, source.name, compiled, result_type),
            input_types,
        )
    if source.logic is None:
        problems.add(
            "the decision has no decision logic (a decision table or literal expression)", line=source.line
        )
    else:
        problems.add(
            f"decision logic '{source.logic}' is not supported; use a decision table or a literal expression",
            line=source.line,
        )
    return None


def load_decision_model(files: Mapping[str, bytes]) -> DecisionModel:
    """Read and compile the DMN files of one bundle (file name -> content).

    Raises ModelValidationError listing every problem found, each with file, line,
    decision id and, where it applies, rule number and column.
    """
    log = ProblemLog()
    documents = _read_all(files, log)
    sources, input_data = _index(documents, log)
    item_types: dict[str, str | None] = {}
    for document in documents:
        item_types.update(document.item_types)
    known_names = frozenset(
        [name for s in sources.values() for name in published_names(s)]
        + [d.name for same_id in input_data.values() for d in same_id]
    )

    decisions: dict[str, Decision] = {}
    for decision_id, source in sources.items():
        decision = _compile(source, sources, input_data, item_types, known_names, log)
        if decision is not None:
            decisions[decision_id] = decision
    plans = _plans(decisions, log)
    if log.problems:
        count = len(log.problems)
        raise ModelValidationError(
            f"the decision model has {count} problem{'s' if count != 1 else ''}", log.problems
        )
    return DecisionModel(decisions, plans)
