"""Compile a decision table's source into a ``DecisionTable``, reporting every problem.

All checks that can be made without data happen here, so that a broken table is refused
at deploy time with decision, rule and column: cell syntax, types of literals against the
column's typeRef, literals outside the allowed values, names the decision cannot see,
hit policy and aggregation, the shape of each rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.dmn.hit_policies import AGGREGATIONS, HIT_POLICIES, normalise_hit_policy, policy_for
from engine.dmn.languages import PYTHON, ExpressionCompiler, ExpressionProblem
from engine.dmn.parser import DecisionSource, InputSource, OutputSource, RuleSource, Text
from engine.dmn.problems import DecisionProblems
from engine.dmn.table import DecisionTable, InputColumn, OutputColumn, Rule
from engine.dmn.typeref import TypeRef, resolve_type
from engine.feel import FeelSyntaxError, ast
from engine.feel.parser import parse_unary_tests
from engine.feel.unary import compile_test_node
from engine.feel.values import describe, kind_of

_TEMPORAL = frozenset({"date", "date and time", "time", "duration"})


def _text(text: Text | None) -> str:
    return (text.text or "").strip() if text is not None else ""


def shown(text: str, limit: int = 80) -> str:
    """A cell's text for a message: quoted, and shortened when long (a cell may be megabytes)."""
    text = text.strip()
    if len(text) > limit:
        text = f"{text[: limit - 20]}…({len(text) - limit + 20:,} more characters)"
    return f"'{text}'"


def _name_lookup(name: str) -> Callable[[Mapping[str, Any], Any], Any]:
    return lambda ctx, q: ctx.get(name)


# What the builder knows about a column or rule while it is still collecting problems;
# compiled parts are None where the text did not compile.


@dataclass
class _InputDraft:
    label: str
    expression: Any
    type_ref: TypeRef | None
    allowed: Any
    source: InputSource


@dataclass
class _OutputDraft:
    column: OutputColumn
    allowed: Any
    default: Any
    source: OutputSource


@dataclass
class _RuleDraft:
    rule: Rule
    cells: list[Any]
    results: list[Any]
    source: RuleSource


class _Builder:
    def __init__(
        self,
        source: DecisionSource,
        compiler: ExpressionCompiler,
        item_types: Mapping[str, str | None],
        problems: DecisionProblems,
        visible_names: frozenset[str] | None,
    ) -> None:
        self.source = source
        self.table = source.table
        self.compiler = compiler
        self.item_types = item_types
        self.problems = problems
        self.visible_names = visible_names  # None: the decision declares no requirements
        self.spiffworkflow_style = False

    # --- helpers -------------------------------------------------------------------

    def problem(
        self,
        message: str,
        *,
        line: int | None,
        rule: int | None = None,
        column: str | None = None,
        element_id: str | None = None,
    ) -> None:
        self.problems.add(message, line=line, rule=rule, column=column, element_id=element_id)

    def compile(self, kind: str, text: Text, *, rule: int | None = None, column: str | None = None) -> Any:
        try:
            compiled = (self.compiler.tests if kind == "tests" else self.compiler.expression)(
                text.text or "", text.language
            )
        except ExpressionProblem as exc:
            self.problem(
                f"{shown(_text(text))} is {exc}" if str(exc).startswith("not ") else str(exc),
                line=text.line,
                rule=rule,
                column=column,
                element_id=text.element_id,
            )
            return None
        if compiled.language == PYTHON:
            self.spiffworkflow_style = True
        self.check_names(compiled, text, rule=rule, column=column)
        return compiled

    def check_names(self, compiled: Any, text: Text, *, rule: int | None, column: str | None) -> None:
        if self.visible_names is None:
            return
        unknown = sorted(n for n in compiled.names if n not in self.visible_names)
        for name in unknown:
            visible = ", ".join(sorted(self.visible_names)) or "nothing"
            self.problem(
                f"unknown name '{name}' in {shown(_text(text))}; this decision requires only: {visible}",
                line=text.line,
                rule=rule,
                column=column,
                element_id=text.element_id,
            )

    def type_of(self, declared: str | None, line: int | None, column: str) -> TypeRef | None:
        try:
            return resolve_type(declared, self.item_types)
        except ValueError as exc:
            self.problem(str(exc), line=line, column=column)
            return None

    # --- build ---------------------------------------------------------------------

    def build(self) -> DecisionTable | None:
        table = self.table
        assert table is not None
        start = self.problems.count
        hit_policy = normalise_hit_policy(table.hit_policy)
        if hit_policy is None:
            self.problem(
                f"unknown hit policy '{table.hit_policy}'; expected one of {', '.join(HIT_POLICIES)}",
                line=table.line,
            )
        aggregation = table.aggregation.strip().upper() if table.aggregation else None
        if aggregation is not None:
            if aggregation not in AGGREGATIONS:
                self.problem(
                    f"unknown aggregation '{table.aggregation}'; expected one of {', '.join(AGGREGATIONS)}",
                    line=table.line,
                )
            elif hit_policy not in (None, "COLLECT"):
                self.problem(
                    f"aggregation {aggregation} is only allowed with hit policy COLLECT", line=table.line
                )
            elif len(table.outputs) > 1:
                self.problem(f"COLLECT {aggregation} needs exactly one output column", line=table.line)
        if not table.outputs:
            self.problem("the decision table has no output column", line=table.line)

        inputs = [self.input_column(clause, i) for i, clause in enumerate(table.inputs, start=1)]
        outputs = [
            self.output_column(clause, i, hit_policy) for i, clause in enumerate(table.outputs, start=1)
        ]
        self.check_output_names(outputs)
        rules = [self.rule(rule, inputs, outputs) for rule in table.rules]
        if (
            hit_policy in ("PRIORITY", "OUTPUT ORDER")
            and outputs
            and not any(o.column.priorities for o in outputs)
        ):
            self.problem(
                f"hit policy {hit_policy} ranks results by the outputs' allowed values, but no output "
                f"column has any",
                line=table.line,
            )

        shape_ok = all(len(r.inputs) == len(inputs) and len(r.outputs) == len(outputs) for r in table.rules)
        if not self.spiffworkflow_style and shape_ok:
            self.check_literals(inputs, outputs, rules)
        if self.problems.count > start or hit_policy is None:
            return None
        input_columns = [self.finish_input(i, draft, rules) for i, draft in enumerate(inputs)]
        if self.problems.count > start:
            return None
        # SpiffWorkflow answered UNIQUE tables with the first matching rule; its tables
        # rely on that (catch-all "else" rows), so tables in its style keep that reading.
        first_only = hit_policy == "FIRST" or (hit_policy == "UNIQUE" and self.spiffworkflow_style)
        policy = policy_for(
            "FIRST" if first_only else hit_policy, aggregation if hit_policy == "COLLECT" else None
        )
        return DecisionTable(
            self.source.id,
            self.source.name,
            hit_policy,
            aggregation,
            policy,
            first_only,
            input_columns,
            [o.column for o in outputs],
            [r.rule for r in rules],
        )

    def input_column(self, clause: InputSource, position: int) -> _InputDraft:
        label = (clause.label or _text(clause.expression) or clause.id or f"input {position}").strip()
        if _text(clause.expression):
            evaluator = self.compile("expression", clause.expression, column=label)
            text = _text(clause.expression)
            if evaluator is not None and evaluator.language != PYTHON and (" " in text or "." in text):
                evaluator = _Static(_whole_key_first(text, evaluator.evaluate), evaluator.names)
        elif clause.label:
            # SpiffWorkflow reads an input without expression from the variable named like its
            # label; DMN requires an expression, so only SpiffWorkflow tables look like this.
            evaluator = _Static(_name_lookup(clause.label.strip()), frozenset({clause.label.strip()}))
            self.spiffworkflow_style = True
        else:
            self.problem("the input has neither an expression nor a label", line=clause.line, column=label)
            evaluator = None
        type_ref = self.type_of(clause.type_ref, clause.line, label)
        allowed = (
            self.compile("tests", clause.allowed_values, column=label)
            if clause.allowed_values is not None and _text(clause.allowed_values)
            else None
        )
        return _InputDraft(label, evaluator, type_ref, allowed, clause)

    def output_column(self, clause: OutputSource, position: int, hit_policy: str | None) -> _OutputDraft:
        name = (clause.name or clause.label or "").strip()
        if not name:
            if len(self.table.outputs) > 1:
                self.problem(
                    "an output column of a table with several outputs needs a name",
                    line=clause.line,
                    column=clause.id or f"output {position}",
                )
            name = self.source.name
        type_ref = self.type_of(clause.type_ref, clause.line, name)
        allowed = None
        if clause.allowed_values is not None and _text(clause.allowed_values):
            allowed = self.compile("tests", clause.allowed_values, column=name)
        priorities = None
        if allowed is not None and hit_policy in ("PRIORITY", "OUTPUT ORDER"):
            priorities = self.priority_tests(clause.allowed_values, name)
        default = None
        if clause.default is not None and _text(clause.default):
            default = self.compile("expression", clause.default, column=name)
        column = OutputColumn(
            name,
            type_ref,
            allowed.test if allowed is not None else None,
            _text(clause.allowed_values) or None,
            priorities,
            default.evaluate if default is not None else None,
        )
        return _OutputDraft(column, allowed, default, clause)

    def priority_tests(self, text: Text, column: str) -> tuple[Any, ...] | None:
        """Each allowed value on its own, in the order written: the priority order (FEEL lists only)."""
        try:
            node = parse_unary_tests(text.text or "")
        except FeelSyntaxError:
            return None  # reported by compile() already
        if not isinstance(node, ast.UnaryTests) or node.negated:
            self.problem(
                "allowed values used for priority must be a plain list", line=text.line, column=column
            )
            return None
        tests = []
        for test in node.tests:
            compiled, _, _ = compile_test_node(ast.UnaryTests([test]), True, fast=False)
            tests.append(compiled)
        return tuple(tests)

    def check_output_names(self, outputs: list[_OutputDraft]) -> None:
        seen: set[str] = set()
        for output in outputs:
            name = output.column.name
            if name in seen:
                self.problem(f"two output columns are named '{name}'", line=output.source.line, column=name)
            seen.add(name)

    def rule(self, source: RuleSource, inputs: list[_InputDraft], outputs: list[_OutputDraft]) -> _RuleDraft:
        rule_id = source.id or f"rule-{source.number}"
        if len(source.inputs) != len(inputs) or len(source.outputs) != len(outputs):
            self.problem(
                f"the rule has {len(source.inputs)} input and {len(source.outputs)} output entries; "
                f"the table has {len(inputs)} inputs and {len(outputs)} outputs",
                line=source.line,
                rule=source.number,
                element_id=source.id,
            )
        cells = []
        for entry, column in zip(source.inputs, inputs, strict=False):
            cells.append(self.compile("tests", entry, rule=source.number, column=column.label))
        results = []
        for entry, output in zip(source.outputs, outputs, strict=False):
            if not _text(entry):
                results.append(None)
                continue
            results.append(self.compile("expression", entry, rule=source.number, column=output.column.name))
        tests = tuple(
            (i, cell.test) for i, cell in enumerate(cells) if cell is not None and cell.test is not None
        )
        evaluators = tuple(r.evaluate if r is not None else _none for r in results)
        constant = None
        if all(
            r is None or (r.is_constant and kind_of(r.constant) not in ("list", "context")) for r in results
        ):
            constant = tuple(r.constant if r is not None else None for r in results)
        return _RuleDraft(Rule(source.number, rule_id, tests, evaluators, constant), cells, results, source)

    def finish_input(self, position: int, draft: _InputDraft, rules: list[_RuleDraft]) -> InputColumn:
        coerce = None
        # SpiffWorkflow never enforced typeRef; tables in its style keep working without it.
        if not self.spiffworkflow_style:
            if draft.type_ref is not None:
                coerce = draft.type_ref.checker()
            else:
                coerce = self.inferred_guard(draft, position, rules)
        return InputColumn(
            draft.label,
            draft.expression.evaluate,
            coerce,
            draft.allowed.test if draft.allowed is not None else None,
            _text(draft.source.allowed_values) or None,
        )

    def inferred_guard(
        self, draft: _InputDraft, position: int, rules: list[_RuleDraft]
    ) -> Callable[[Any], Any] | None:
        """Without a typeRef, the kinds of the literals a column is ordered against (``< 5``,
        ``[1..9]``) tell what the input must be; checked once per evaluation, that lets the
        cells use bare Python comparisons."""
        kinds = set()
        for draft_rule in rules:
            cell = draft_rule.cells[position]
            if cell is None:
                continue
            kinds.update(
                kind_of(value) for value, usage in cell.literals if usage == "order" and value is not None
            )
        if not kinds:
            return None
        if len(kinds) > 1:
            self.problem(
                f"the cells compare this input with values of different types ({', '.join(sorted(kinds))})",
                line=draft.source.line,
                column=draft.label,
            )
            return None
        (kind,) = kinds
        try:
            type_ref = resolve_type(kind, {})
        except ValueError:  # a kind without a type name (a list, say): nothing to check
            return None
        return type_ref.checker() if type_ref is not None else None

    def check_literals(
        self, inputs: list[_InputDraft], outputs: list[_OutputDraft], rules: list[_RuleDraft]
    ) -> None:
        """Literals against types and allowed values, reported in reading order: column
        declarations first, then rule by rule, left to right."""
        columns = []
        for draft in inputs:
            if draft.allowed is not None and draft.type_ref is not None:
                self.check_allowed_list(
                    draft.allowed, draft.type_ref, draft.label, draft.source.allowed_values
                )
            columns.append((draft.label, draft.type_ref, draft.allowed))
        for output in outputs:
            column = output.column
            if output.allowed is not None and column.type is not None:
                self.check_allowed_list(
                    output.allowed, column.type, column.name, output.source.allowed_values
                )
            if output.default is not None:
                self.check_value(
                    output.default, column.type, output.allowed, column.name, output.source.default, None
                )
            columns.append((column.name, column.type, output.allowed))
        for draft_rule in rules:
            texts = [*draft_rule.source.inputs, *draft_rule.source.outputs]
            compiled_cells = [*draft_rule.cells, *draft_rule.results]
            for (name, type_ref, allowed), compiled, text in zip(columns, compiled_cells, texts, strict=True):
                if compiled is not None:
                    self.check_value(compiled, type_ref, allowed, name, text, draft_rule.rule.number)

    def check_value(
        self,
        compiled: Any,
        type_ref: TypeRef | None,
        allowed: Any,
        column: str,
        text: Text | None,
        rule: int | None,
    ) -> None:
        if hasattr(compiled, "literals"):
            literals = compiled.literals
        elif compiled.is_constant:
            literals = ((compiled.constant, "equal"),)
        else:
            return
        line = text.line if text is not None else None
        element_id = text.element_id if text is not None else None
        for value, how in literals:
            if value is None:
                continue
            if type_ref is not None and not type_ref.accepts(value):
                hint = ""
                if type_ref.kind in _TEMPORAL and isinstance(value, str):
                    hint = f'; write {type_ref.kind}("{value}")'
                self.problem(
                    f"{describe(value)} does not match the column's type {type_ref.declared}{hint}",
                    line=line,
                    rule=rule,
                    column=column,
                    element_id=element_id,
                )
            elif (
                how == "equal"
                and allowed is not None
                and not allowed.names
                and allowed.test is not None
                and allowed.test(value, {}) is not True
            ):
                self.problem(
                    f"{describe(value)} is not one of the allowed values ({allowed.source.strip()})",
                    line=line,
                    rule=rule,
                    column=column,
                    element_id=element_id,
                )

    def check_allowed_list(self, allowed: Any, type_ref: TypeRef, column: str, text: Text | None) -> None:
        for value, _ in getattr(allowed, "literals", ()):
            if value is not None and not type_ref.accepts(value):
                self.problem(
                    f"allowed value {describe(value)} does not match the column's type {type_ref.declared}",
                    line=text.line if text else None,
                    column=column,
                )


class _Static:
    """An input read straight from the context, in the shape of a compiled expression."""

    def __init__(self, evaluate: Callable[[Mapping[str, Any], Any], Any], names: frozenset[str]) -> None:
        self.evaluate = evaluate
        self.names = names
        self.language = "feel"


def _whole_key_first(
    key: str, evaluate: Callable[[Mapping[str, Any], Any], Any]
) -> Callable[[Mapping[str, Any], Any], Any]:
    """Longest match for input expressions: when the data has a key spelled exactly like the
    whole expression ("Days in arrears", "customer.type"), that key is the input, even if the
    text would parse as something else."""
    return lambda ctx, q: ctx[key] if key in ctx else evaluate(ctx, q)


def _none(ctx: Mapping[str, Any], q: Any) -> None:
    return None


def build_table(
    source: DecisionSource,
    compiler: ExpressionCompiler,
    item_types: Mapping[str, str | None],
    problems: DecisionProblems,
    visible_names: frozenset[str] | None,
) -> tuple[DecisionTable | None, bool]:
    """The compiled table (None if it has problems) and whether it is in SpiffWorkflow's Python style."""
    builder = _Builder(source, compiler, item_types, problems, visible_names)
    return builder.build(), builder.spiffworkflow_style
