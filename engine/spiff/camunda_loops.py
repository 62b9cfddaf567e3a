"""Camunda 7's way of writing a multi-instance collection, in the BPMN form SpiffWorkflow reads.

Camunda Modeler writes ``<multiInstanceLoopCharacteristics camunda:collection="${approvers}"
camunda:elementVariable="approver">``; BPMN (and SpiffWorkflow) say the same with
``<loopDataInputRef>approvers</loopDataInputRef><inputDataItem name="approver"/>``. The collection
must name a variable (``approvers`` or ``${approvers}``): anything else is refused at deploy
(engine/repository/unsupported.py), since SpiffWorkflow iterates over a variable, not an expression.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_XPATH = ".//bpmn:multiInstanceLoopCharacteristics[@camunda:collection]"
_NAMESPACES = {"bpmn": _BPMN, "camunda": _CAMUNDA}
_VARIABLE = re.compile(r"^\s*(?:[$#]\{\s*([A-Za-z_]\w*)\s*\}|([A-Za-z_]\w*))\s*$")


def collection_variable(text: str) -> str | None:
    """The variable a ``camunda:collection`` names, or None when it is an expression of another kind."""
    match = _VARIABLE.match(text or "")
    return (match.group(1) or match.group(2)) if match else None


def with_camunda_collections(root: etree._Element) -> etree._Element:
    """``root``, or a copy in which each ``camunda:collection`` is a ``loopDataInputRef`` (and
    ``camunda:elementVariable`` its ``inputDataItem``), unless the element already has them."""
    found = root.xpath(_XPATH, namespaces=_NAMESPACES)
    if not found:
        return root
    copy = deepcopy(root)
    for loop in copy.xpath(_XPATH, namespaces=_NAMESPACES):
        variable = collection_variable(loop.get(f"{{{_CAMUNDA}}}collection", ""))
        if variable is None or loop.find(f"{{{_BPMN}}}loopDataInputRef") is not None:
            continue
        # The schema's order: loopCardinality?, loopDataInputRef?, loopDataOutputRef?, inputDataItem?, …
        reference = etree.Element(f"{{{_BPMN}}}loopDataInputRef")
        reference.text = variable
        cardinality = loop.find(f"{{{_BPMN}}}loopCardinality")
        at = list(loop).index(cardinality) + 1 if cardinality is not None else 0
        loop.insert(at, reference)
        element = loop.get(f"{{{_CAMUNDA}}}elementVariable")
        if element and loop.find(f"{{{_BPMN}}}inputDataItem") is None:
            item = etree.Element(f"{{{_BPMN}}}inputDataItem")
            item.set("id", element)  # SpiffWorkflow names the variable by the item's id
            item.set("name", element)
            output = loop.find(f"{{{_BPMN}}}loopDataOutputRef")
            anchor = output if output is not None else reference
            loop.insert(list(loop).index(anchor) + 1, item)
    return copy
