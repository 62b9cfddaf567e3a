"""Read DMN 1.1–1.5 XML into plain source records; no interpretation of expressions here.

The records keep file, line and element id of everything, because every problem found
later (a bad cell, a wrong type) must say where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.dmn.problems import ProblemLog
from engine.xmlsafe import parse_untrusted_xml

# Scheme-less, so that a file that writes http:// where the standard says https:// still loads.
DMN_NAMESPACES = {
    "www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
_LOGIC_ELEMENTS = (
    "decisionTable",
    "literalExpression",
    "context",
    "invocation",
    "relation",
    "list",
    "functionDefinition",
    "conditional",
    "filter",
    "iterator",
    "for",
    "some",
    "every",
)


def dmn_version(namespace: str) -> str | None:
    bare = namespace.split("://", 1)[-1]
    if not bare.endswith("/") and not bare.endswith(".xsd"):
        bare += "/"
    return DMN_NAMESPACES.get(bare)


@dataclass
class Text:
    """An expression or unary-test text in the file, with where it is."""

    text: str | None
    language: str | None  # the element's own expressionLanguage attribute
    line: int | None
    element_id: str | None = None


@dataclass
class InputSource:
    id: str | None
    label: str | None
    expression: Text
    type_ref: str | None
    allowed_values: Text | None
    line: int | None


@dataclass
class OutputSource:
    id: str | None
    name: str | None
    label: str | None
    type_ref: str | None
    allowed_values: Text | None
    default: Text | None
    line: int | None


@dataclass
class RuleSource:
    id: str | None
    number: int  # 1-based position in the table
    line: int | None
    inputs: list[Text]
    outputs: list[Text]
    description: str | None


@dataclass
class TableSource:
    id: str | None
    hit_policy: str
    aggregation: str | None
    line: int | None
    inputs: list[InputSource] = field(default_factory=list)
    outputs: list[OutputSource] = field(default_factory=list)
    rules: list[RuleSource] = field(default_factory=list)


@dataclass
class Requirement:
    kind: str  # "decision" | "input"
    target_id: str
    line: int | None


@dataclass
class DecisionSource:
    id: str
    name: str
    file: str
    line: int | None
    expression_language: str | None  # of the definitions
    type_ref: str | None  # the decision's variable typeRef
    requirements: list[Requirement]
    logic: str | None  # "decisionTable", "literalExpression", another element name, or None
    table: TableSource | None = None
    literal: Text | None = None


@dataclass
class InputDataSource:
    id: str
    name: str
    type_ref: str | None
    file: str
    line: int | None


@dataclass
class DocumentSource:
    file: str
    version: str
    expression_language: str | None
    decisions: list[DecisionSource] = field(default_factory=list)
    input_data: list[InputDataSource] = field(default_factory=list)
    item_types: dict[str, str | None] = field(default_factory=dict)


class _Reader:
    def __init__(self, root: etree._Element, namespace: str, file: str, log: ProblemLog) -> None:
        self.root = root
        self.ns = namespace
        self.file = file
        self.log = log

    def q(self, local: str) -> str:
        return f"{{{self.ns}}}{local}"

    def children(self, element: etree._Element, local: str) -> list[etree._Element]:
        return element.findall(self.q(local))

    def child(self, element: etree._Element, local: str) -> etree._Element | None:
        return element.find(self.q(local))

    def text_of(self, element: etree._Element | None) -> Text | None:
        if element is None:
            return None
        text_element = self.child(element, "text")
        text = text_element.text if text_element is not None else None
        return Text(text, element.get("expressionLanguage"), element.sourceline, element.get("id"))

    def read(self, version: str) -> DocumentSource:
        document = DocumentSource(self.file, version, self.root.get("expressionLanguage"))
        self.check_duplicate_ids()
        for item in self.children(self.root, "itemDefinition"):
            name = item.get("name")
            if name:
                type_ref = self.child(item, "typeRef")
                document.item_types[name] = (
                    type_ref.text.strip() if type_ref is not None and type_ref.text else item.get("typeRef")
                )
        for element in self.children(self.root, "inputData"):
            data_id = element.get("id")
            if not data_id:
                self.log.add("inputData has no id", file=self.file, line=element.sourceline)
                continue
            variable = self.child(element, "variable")
            type_ref = variable.get("typeRef") if variable is not None else None
            document.input_data.append(
                InputDataSource(
                    data_id, element.get("name") or data_id, type_ref, self.file, element.sourceline
                )
            )
        for element in self.children(self.root, "decision"):
            decision = self.decision(element, document.expression_language)
            if decision is not None:
                document.decisions.append(decision)
        return document

    def check_duplicate_ids(self) -> None:
        seen: dict[str, int | None] = {}
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            element_id = element.get("id")
            if element_id is None:
                continue
            if element_id in seen:
                first = seen[element_id]
                self.log.add(
                    f"duplicate id '{element_id}' (first used on line {first})",
                    file=self.file,
                    line=element.sourceline,
                    element_id=element_id,
                )
            else:
                seen[element_id] = element.sourceline

    def decision(self, element: etree._Element, language: str | None) -> DecisionSource | None:
        decision_id = element.get("id")
        if not decision_id:
            self.log.add("decision has no id", file=self.file, line=element.sourceline)
            return None
        variable = self.child(element, "variable")
        requirements: list[Requirement] = []
        for requirement in self.children(element, "informationRequirement"):
            for kind, local in (("decision", "requiredDecision"), ("input", "requiredInput")):
                for ref in self.children(requirement, local):
                    href = ref.get("href") or ""
                    target = href.split("#", 1)[1] if "#" in href else href
                    if not target:
                        self.log.add(
                            f"{local} has no href",
                            file=self.file,
                            line=ref.sourceline,
                            decision_id=decision_id,
                        )
                        continue
                    requirements.append(Requirement(kind, target, ref.sourceline))
        logic = None
        for child in element:
            if isinstance(child.tag, str) and etree.QName(child).localname in _LOGIC_ELEMENTS:
                logic = etree.QName(child).localname
                break
        source = DecisionSource(
            decision_id,
            (element.get("name") or decision_id).strip(),
            self.file,
            element.sourceline,
            language,
            variable.get("typeRef") if variable is not None else None,
            requirements,
            logic,
        )
        if logic == "decisionTable":
            source.table = self.table(self.child(element, "decisionTable"))
        elif logic == "literalExpression":
            source.literal = self.text_of(self.child(element, "literalExpression"))
        return source

    def table(self, element: etree._Element) -> TableSource:
        table = TableSource(
            element.get("id"),
            element.get("hitPolicy") or "UNIQUE",
            element.get("aggregation"),
            element.sourceline,
        )
        for clause in self.children(element, "input"):
            expression = self.child(clause, "inputExpression")
            text = self.text_of(expression) or Text(None, None, clause.sourceline)
            table.inputs.append(
                InputSource(
                    clause.get("id"),
                    clause.get("label"),
                    text,
                    expression.get("typeRef") if expression is not None else None,
                    self.text_of(self.child(clause, "inputValues")),
                    clause.sourceline,
                )
            )
        for clause in self.children(element, "output"):
            table.outputs.append(
                OutputSource(
                    clause.get("id"),
                    clause.get("name"),
                    clause.get("label"),
                    clause.get("typeRef"),
                    self.text_of(self.child(clause, "outputValues")),
                    self.text_of(self.child(clause, "defaultOutputEntry")),
                    clause.sourceline,
                )
            )
        for number, rule in enumerate(self.children(element, "rule"), start=1):
            description = self.child(rule, "description")
            table.rules.append(
                RuleSource(
                    rule.get("id"),
                    number,
                    rule.sourceline,
                    [self.text_of(e) for e in self.children(rule, "inputEntry")],
                    [self.text_of(e) for e in self.children(rule, "outputEntry")],
                    description.text if description is not None else None,
                )
            )
        return table


def read_document(content: bytes, file_name: str, log: ProblemLog) -> DocumentSource | None:
    """Parse one DMN file; problems go to ``log``; None when the file is not DMN at all.

    Raises ModelValidationError (from ``parse_untrusted_xml``) for XML that is not
    well-formed or not allowed.
    """
    root = parse_untrusted_xml(content, file_name)
    qname = etree.QName(root)
    version = dmn_version(qname.namespace or "")
    if qname.localname != "definitions" or version is None:
        log.add(
            f"not a DMN file: the root element is '{qname.localname}' in namespace "
            f"'{qname.namespace}', expected 'definitions' in a DMN 1.1–1.5 namespace",
            file=file_name,
            line=root.sourceline,
        )
        return None
    return _Reader(root, qname.namespace, file_name, log).read(version)
