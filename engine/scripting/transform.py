"""RestrictedPython's compiler, taught to make sandboxed code pay for its work.

On top of RestrictedPython's rules (no ``_`` names or attributes, attribute and item access and
iteration through guards), the compiled code

* ticks the budget at the top of every ``while`` body, function, lambda, ``except`` and
  ``finally`` block (``for`` loops and comprehensions tick through the ``_getiter_`` guard), so
  an endless loop, a deep recursion or an exception swallowed in a loop still runs out;
* sends ``+``, ``*``, ``**``, ``<<`` and ``%`` through guards that size the result first;
* formats every f-string field through a guard that checks widths and the text's size;
* charges displays that unpack (``[*xs, *xs]``) for what they build;
* checks the operands of comparisons for nesting that would make C compare for ever.

Our own names start and end with ``_``: scripts cannot write such names, so they cannot shadow
them. New nodes are made after RestrictedPython checked a node's children, so its name checks
never see them.
"""

from __future__ import annotations

import ast
from typing import TypeVar

from RestrictedPython.transformer import RestrictingNodeTransformer

TICK = "_tick_"
BINARY_GUARDS = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}
FORMAT = "_format_value_"
BUILT = "_built_"
COMPARED = "_compared_"
_Node = TypeVar("_Node", bound=ast.AST)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _tick(at: ast.AST) -> ast.stmt:
    return _located(ast.Expr(_call(TICK)), at)


def _located(new: _Node, at: ast.AST) -> _Node:
    """``new`` with the source position of ``at`` wherever it has none yet."""
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, at)
    return new


class BudgetingTransformer(RestrictingNodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        if isinstance(node.op, ast.MatMult):
            self.error(node, "the @ operator is not available in process scripts")
            return node
        guard = BINARY_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _located(_call(guard, node.left, node.right), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        node = self.node_contents_visit(node)
        node.left = self._compared(node.left)
        node.comparators = [self._compared(c) for c in node.comparators]
        return node

    @staticmethod
    def _compared(operand: ast.expr) -> ast.expr:
        return operand if isinstance(operand, ast.Constant) else _located(_call(COMPARED, operand), operand)

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        # ``_tick_() or body``: the tick returns None, so the lambda still returns its body.
        node.body = _located(ast.BoolOp(op=ast.Or(), values=[_call(TICK), node.body]), node.body)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _tick(node))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _tick(node))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant(None)
        value = _call(FORMAT, node.value, ast.Constant(node.conversion), spec)
        return _located(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def _charged_display(self, node: ast.AST, unpacks: bool) -> ast.AST:
        node = self.node_contents_visit(node)
        if not unpacks or not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            return node
        return _located(_call(BUILT, node), node)

    def visit_List(self, node: ast.List) -> ast.AST:
        return self._charged_display(node, any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        return self._charged_display(node, any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_Set(self, node: ast.Set) -> ast.AST:
        return self._charged_display(node, any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        return self._charged_display(node, any(k is None for k in node.keys))

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in process scripts")
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        self.error(node, "with statements are not allowed in process scripts")
        return node
