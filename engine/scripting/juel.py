"""JUEL (the expression language of Camunda 7 models) translated into sandboxed Python.

``${approved}``, ``${amount > 1000 && region == 'east'}``, ``${empty comment}``, ``${a.b}``,
``${cond ? 'a' : 'b'}`` and ``${execution.getVariable('x')}`` are parsed here and rewritten as
a Python expression that ``engine.scripting.sandbox`` compiles and runs under its rules and budget:
there is no second evaluator. The few things JUEL means that Python does not (``empty``, property
access that reads a map's key, a variable read that tolerates a missing name) are small helper
functions whose names start with ``_juel_``: model text cannot name them (identifiers starting with
``_`` are refused here, as the sandbox refuses them in Python).

The grammar also takes the Python that earlier models wrote inside ``${…}``: ``and``/``or``/``not``
(JUEL has them too), ``in``/``not in``, ``is``/``is not``, ``True``/``False``/``None``, calls of the
sandbox's functions with keyword arguments (``now() + timedelta(hours=2)``) and list or tuple
displays. Text that is no JUEL at all may still be Python (see ``engine/scripting/expressions.py``).

Refused when the model is deployed, with the column: method calls (``''.getClass()``), functions
the sandbox does not offer (``T(java.lang.Runtime)``), prefixed functions (``fn:contains``), names
and properties starting with ``_``, numbers longer than ``MAX_DIGITS`` digits, and nesting deeper
than ``MAX_DEPTH``.
"""

from __future__ import annotations

import ast
import builtins
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from RestrictedPython.transformer import FORBIDDEN_FUNC_NAMES

from engine.errors import ScriptError
from engine.scripting.attributes import guarded_getattr
from engine.scripting.sandbox import FORBIDDEN_NAMES
from engine.scripting.surface import BUILTINS
from engine.scripting.transform import BudgetingTransformer

MAX_DEPTH = 32  # like FEEL's: no condition needs more, and Python's compiler recurses per level
MAX_DIGITS = 1000
MAX_TOKENS = 10_000
MAX_HEIGHT = 100  # of the translated tree: ``a + a + … + a`` nests without parentheses

# What a JUEL call may name: the sandbox's functions, and ``now`` (bound by the command).
CALLABLE = frozenset(
    {name for name, value in BUILTINS.items() if callable(value) and not name[0].isupper()}
    | {"date", "timedelta", "Decimal", "now"}
)
_RESERVED = frozenset(
    {"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "true", "false", "null", "empty", "div", "mod"}
    | {"instanceof", "in", "is", "True", "False", "None"}
)
# Names the sandbox refuses in any Python it compiles (its own list and RestrictedPython's), and
# Python's builtins it does not offer: as JUEL variables (``${id}``, ``${input}``) they are data.
_DATA_ONLY = FORBIDDEN_NAMES | FORBIDDEN_FUNC_NAMES | (frozenset(dir(builtins)) - BUILTINS.keys())
_EXECUTION_METHODS = frozenset({"getVariable", "getVariableLocal", "hasVariable"})


class JuelError(ScriptError):
    """JUEL text that cannot be used; ``column`` is 1-based within the text as written."""

    def __init__(self, message: str, column: int | None = None, syntax: bool = True, hint: str = "") -> None:
        super().__init__((message if column is None else f"{message} (column {column})") + hint)
        self.column = column
        self.syntax = syntax  # False: understood, but refused (Python would not be tried instead)


class UnknownVariable(ScriptError):
    """A name read from the data alone (``_juel_var_``) that the data does not hold."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown variable '{name}'")
        self.name = name


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "str", "name", "op", "end"
    value: Any
    offset: int


_OPERATORS = (
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", ".", ",", "?", ":", "!", "<", ">",
    "+", "-", "*", "/", "%", "=",
)  # fmt: skip


def _tokens(text: str, base: int) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if len(tokens) > MAX_TOKENS:
            raise JuelError(
                f"the expression is too long (more than {MAX_TOKENS:,} parts)", base + i + 1, False
            )
        c = text[i]
        if c.isspace():
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            start = i
            while i < n and text[i].isdigit():
                i += 1
            is_float = False
            if i < n and text[i] == "." and i + 1 < n and text[i + 1].isdigit():
                is_float = True
                i += 1
                while i < n and text[i].isdigit():
                    i += 1
            if i < n and text[i] in "eE":
                j = i + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j].isdigit():
                    is_float = True
                    i = j
                    while i < n and text[i].isdigit():
                        i += 1
            literal = text[start:i]
            if sum(ch.isdigit() for ch in literal) > MAX_DIGITS:
                raise JuelError(f"a number has more than {MAX_DIGITS:,} digits", base + start + 1, False)
            tokens.append(_Token("num", float(literal) if is_float else int(literal), start))
        elif c in "'\"":
            start, i = i, i + 1
            pieces: list[str] = []
            while True:
                if i >= n:
                    raise JuelError("a string is not closed", base + start + 1)
                ch = text[i]
                if ch == "\\" and i + 1 < n and text[i + 1] in "'\"\\":
                    # JUEL escapes only quotes and the backslash; any other backslash is itself.
                    pieces.append(text[i + 1])
                    i += 2
                elif ch == c:
                    i += 1
                    break
                else:
                    pieces.append(ch)
                    i += 1
            tokens.append(_Token("str", "".join(pieces), start))
        elif c.isalpha() or c == "_" or c == "$":
            start = i
            while i < n and (text[i].isalnum() or text[i] in "_$"):
                i += 1
            word = text[start:i]
            if not word.isascii() or "$" in word:
                raise JuelError(
                    f"'{word}' is not a name this engine accepts (letters, digits, _)", base + start + 1
                )
            tokens.append(_Token("name", word, start))
        else:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    tokens.append(_Token("op", op, i))
                    i += len(op)
                    break
            else:
                raise JuelError(f"unexpected character {c!r}", base + i + 1)
    tokens.append(_Token("end", None, n))
    return tokens


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


_DATA = ast.Name("_juel_data_", ast.Load())
_COMPARISONS = {
    "<": ast.Lt, "lt": ast.Lt, ">": ast.Gt, "gt": ast.Gt, "<=": ast.LtE, "le": ast.LtE,
    ">=": ast.GtE, "ge": ast.GtE,
}  # fmt: skip
_EQUALITY = {"==": ast.Eq, "eq": ast.Eq, "!=": ast.NotEq, "ne": ast.NotEq}
_ADDITIVE = {"+": ast.Add, "-": ast.Sub}
_MULTIPLICATIVE = {"*": ast.Mult, "/": ast.Div, "div": ast.Div, "%": ast.Mod, "mod": ast.Mod}


class _Parser:
    def __init__(self, text: str, base: int) -> None:
        self.tokens = _tokens(text, base)
        self.base = base
        self.pos = 0
        self.depth = 0

    # -- token helpers
    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def _is(self, *values: str) -> bool:
        t = self.token
        return t.kind in ("op", "name") and t.value in values

    def _take(self) -> _Token:
        t = self.token
        self.pos += 1
        return t

    def _expect(self, value: str) -> _Token:
        if not (self.token.kind == "op" and self.token.value == value):
            self._fail(f"expected '{value}'")
        return self._take()

    def _column(self, token: _Token | None = None) -> int:
        return self.base + (token or self.token).offset + 1

    def _fail(self, message: str, token: _Token | None = None, syntax: bool = True, hint: str = "") -> Any:
        token = token or self.token
        found = "the end of the expression" if token.kind == "end" else repr(str(token.value))
        if syntax:
            message = f"{message}, found {found}"
        raise JuelError(message, self._column(token), syntax, hint)

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._fail(f"the expression is nested more than {MAX_DEPTH} levels deep", syntax=False)

    # -- grammar, loosest first
    def parse(self) -> ast.expr:
        node = self.ternary()
        if self.token.kind != "end":
            self._fail("unexpected text after the expression")
        return node

    def ternary(self) -> ast.expr:
        condition = self.disjunction()
        if not self._is("?"):
            return condition
        self._take()
        self._deeper()
        then = self.ternary()
        self._expect(":")
        otherwise = self.ternary()
        self.depth -= 1
        return ast.IfExp(test=condition, body=then, orelse=otherwise)

    def _junction(self, words: tuple[str, ...], op: ast.boolop, operand: Any) -> ast.expr:
        values = [operand()]
        while self._is(*words):
            self._take()
            values.append(operand())
        return values[0] if len(values) == 1 else ast.BoolOp(op=op, values=values)

    def disjunction(self) -> ast.expr:
        return self._junction(("||", "or"), ast.Or(), self.conjunction)

    def conjunction(self) -> ast.expr:
        return self._junction(("&&", "and"), ast.And(), self.equality)

    def _chain(self, table: dict[str, type], operand: Any, python: bool = False) -> ast.expr:
        # Consecutive comparisons chain as in Python (``0 < x < 5``); in JUEL their meaning would be
        # a comparison of a boolean with a number, an error there.
        left = operand()
        ops: list[ast.cmpop] = []
        comparators: list[ast.expr] = []
        while True:
            if self.token.kind in ("op", "name") and self.token.value in table:
                ops.append(table[self._take().value]())
            elif python and self._is("in"):
                self._take()
                ops.append(ast.In())
            elif python and self._is("not") and self._peek_is("in"):
                self.pos += 2
                ops.append(ast.NotIn())
            elif python and self._is("is"):
                self._take()
                if self._is("not"):
                    self._take()
                    ops.append(ast.IsNot())
                else:
                    ops.append(ast.Is())
            else:
                break
            comparators.append(operand())
        return ast.Compare(left=left, ops=ops, comparators=comparators) if ops else left

    def _peek_is(self, value: str) -> bool:
        following = self.tokens[self.pos + 1]
        return following.kind in ("op", "name") and following.value == value

    def equality(self) -> ast.expr:
        return self._chain(_EQUALITY, self.relational)

    def relational(self) -> ast.expr:
        return self._chain(_COMPARISONS, self.additive, python=True)

    def _arithmetic(self, table: dict[str, type], operand: Any) -> ast.expr:
        node = operand()
        while self.token.kind in ("op", "name") and self.token.value in table:
            op = table[self._take().value]()
            node = ast.BinOp(left=node, op=op, right=operand())
        return node

    def additive(self) -> ast.expr:
        return self._arithmetic(_ADDITIVE, self.multiplicative)

    def multiplicative(self) -> ast.expr:
        return self._arithmetic(_MULTIPLICATIVE, self.unary)

    def unary(self) -> ast.expr:
        if self._is("!", "not", "-", "empty"):
            word = self._take().value
            self._deeper()
            operand = self.unary()
            self.depth -= 1
            if word == "-":
                if isinstance(operand, ast.Constant) and isinstance(operand.value, int | float):
                    return ast.Constant(-operand.value)
                return ast.UnaryOp(op=ast.USub(), operand=operand)
            if word == "empty":
                return _call("_juel_empty_", operand)
            return ast.UnaryOp(op=ast.Not(), operand=operand)
        return self.value()

    def value(self) -> ast.expr:
        start = self.token
        node = self.primary()
        while True:
            if self._is("."):
                self._take()
                name_token = self.token
                if name_token.kind != "name":
                    self._fail("expected a property name after '.'")
                self._take()
                prop = name_token.value
                if prop.startswith("_"):
                    self._fail(
                        f"property '{prop}': names starting with '_' are not allowed", name_token, False
                    )
                if self._is("("):
                    node = self._method(node, start, name_token)
                elif isinstance(node, ast.Name) and node.id == "execution":
                    node = self._execution_property(name_token)
                else:
                    node = _call("_juel_prop_", node, ast.Constant(prop))
            elif self._is("["):
                self._take()
                self._deeper()
                key = self.ternary()
                self.depth -= 1
                self._expect("]")
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith("_"):
                    self._fail(
                        f"property '{key.value}': names starting with '_' are not allowed", start, False
                    )
                node = _call("_juel_prop_", node, key)
            else:
                return node

    def _method(self, target: ast.expr, start: _Token, name_token: _Token) -> ast.expr:
        method = name_token.value
        if isinstance(target, ast.Name) and target.id == "execution" and method in _EXECUTION_METHODS:
            args, keywords = self._arguments()
            if len(args) != 1 or keywords:
                self._fail(f"execution.{method} takes one argument, the variable's name", name_token, False)
            if method == "hasVariable":
                return _call("_juel_has_", _DATA, args[0])
            return _call("_juel_var_", _DATA, args[0])
        return self._fail(
            f"method calls are not supported: '.{method}(…)'",
            name_token,
            False,
            "; compute the value in a script task and use the variable",
        )

    def _execution_property(self, name_token: _Token) -> ast.expr:
        if name_token.value == "processBusinessKey":
            # The engine keeps the business key in the process data (engine/runtime/service.py).
            return _call("_juel_var_", _DATA, ast.Constant("business_key"))
        return self._fail(
            f"execution.{name_token.value} is not available "
            "(execution offers getVariable, hasVariable and processBusinessKey)",
            name_token,
            False,
        )

    def _arguments(self) -> tuple[list[ast.expr], list[ast.keyword]]:
        self._expect("(")
        self._deeper()
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        if not self._is(")"):
            while True:
                if self.token.kind == "name" and self._peek_is("="):
                    name = self._take().value
                    if name.startswith("_") or keyword.iskeyword(name):
                        self._fail(f"'{name}' is not a valid argument name", syntax=False)
                    self._take()
                    keywords.append(ast.keyword(arg=name, value=self.ternary()))
                elif keywords:
                    self._fail("a positional argument cannot follow a named one")
                else:
                    args.append(self.ternary())
                if not self._is(","):
                    break
                self._take()
        self._expect(")")
        self.depth -= 1
        return args, keywords

    def _display(self, closing: str) -> list[ast.expr]:
        self._deeper()
        items: list[ast.expr] = []
        while not self._is(closing):
            items.append(self.ternary())
            if not self._is(","):
                break
            self._take()
        self._expect(closing)
        self.depth -= 1
        return items

    def primary(self) -> ast.expr:
        t = self.token
        if t.kind in ("num", "str"):
            self._take()
            return ast.Constant(t.value)
        if t.kind == "op" and t.value == "(":
            self._take()
            self._deeper()
            first = self.ternary()
            if self._is(","):  # a Python tuple display
                self._take()
                items = [first]
                while not self._is(")"):
                    items.append(self.ternary())
                    if not self._is(","):
                        break
                    self._take()
                self._expect(")")
                self.depth -= 1
                return ast.Tuple(elts=items, ctx=ast.Load())
            self._expect(")")
            self.depth -= 1
            return first
        if t.kind == "op" and t.value == "[":
            self._take()
            return ast.List(elts=self._display("]"), ctx=ast.Load())
        if t.kind != "name":
            return self._fail("expected a value")
        word = t.value
        self._take()
        if word in ("true", "True"):
            return ast.Constant(True)
        if word in ("false", "False"):
            return ast.Constant(False)
        if word in ("null", "None"):
            return ast.Constant(None)
        if word in _RESERVED:
            return self._fail(f"'{word}' is a reserved word and cannot stand here", t, False)
        if word.startswith("_"):
            return self._fail(f"'{word}': names starting with '_' are not allowed", t, False)
        if self._is(":") and self._peek_kind("name") and self.tokens[self.pos + 2].value == "(":
            return self._fail(f"functions with a prefix ('{word}:…') are not supported", t, False)
        if self._is("("):
            if word not in CALLABLE:
                return self._fail(
                    f"function '{word}' is not available in expressions (see docs/process-owners.md)",
                    t,
                    False,
                )
            args, keywords = self._arguments()
            return ast.Call(func=ast.Name(word, ast.Load()), args=args, keywords=keywords)
        if keyword.iskeyword(word) or word in _DATA_ONLY:
            # A process variable may be called ``from``, ``input`` or ``open``: Python cannot name
            # it, or the sandbox refuses the name; read it from the data alone.
            return _call("_juel_var_", _DATA, ast.Constant(word), ast.Constant(True))
        return ast.Name(word, ast.Load())

    def _peek_kind(self, kind: str) -> bool:
        return self.tokens[self.pos + 1].kind == kind


def translate(body: str, column_base: int = 0) -> str:
    """The Python text of the JUEL expression ``body`` (what stands between ``${`` and ``}``).

    ``column_base`` is where ``body`` starts in the text as written (2 for ``${…}``), so columns
    in errors count from the start of the written text. Raises JuelError.
    """
    if not body.strip():
        raise JuelError("the expression is empty", column_base + 1)
    tree = _Parser(body, column_base).parse()
    if _height(tree) > MAX_HEIGHT:
        raise JuelError(
            f"the expression is too complex (more than {MAX_HEIGHT} operations inside each other)",
            column_base + 1,
            False,
        )
    return ast.unparse(ast.fix_missing_locations(ast.Expression(body=tree)))


def _height(tree: ast.AST) -> int:
    # A loop, not recursion: the tree is measured before anything recursive sees it.
    highest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        highest = max(highest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return highest


# -- what the translated code calls -------------------------------------------------------------

_MISSING = object()


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict | set | frozenset):
        return len(value) == 0
    return False


def _prop(base: Any, key: Any) -> Any:
    # EL: a property of null is null, a missing map key is null, a list index out of range is null.
    if base is None or key is None:
        return None
    if isinstance(base, Mapping):
        return base.get(key)
    if isinstance(base, list | tuple | str):
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise ScriptError(f"a list has no property {str(key)[:100]!r}") from None
        return base[index] if -len(base) <= index < len(base) else None
    if not isinstance(key, str) or key.startswith("_"):
        raise ScriptError(f"a {type(base).__name__} has no property {str(key)[:100]!r}")
    return guarded_getattr(base, key)


def _var(data: Mapping[str, Any], name: Any, required: bool = False) -> Any:
    value = data.get(name, _MISSING) if isinstance(name, str) else _MISSING
    if value is _MISSING:
        if required:
            raise UnknownVariable(name)
        return None  # as Camunda's execution.getVariable answers for a variable not set
    return value


def _has(data: Mapping[str, Any], name: Any) -> bool:
    return isinstance(name, str) and name in data


HELPERS: dict[str, Any] = {
    "_juel_empty_": _empty,
    "_juel_prop_": _prop,
    "_juel_var_": _var,
    "_juel_has_": _has,
}
DATA_NAME = "_juel_data_"
_HELPER_NAMES = frozenset(HELPERS) | {DATA_NAME}


class JuelTransformer(BudgetingTransformer):
    """The sandbox's compiler, letting translated JUEL call its helpers (model text cannot name them:
    the JUEL parser refuses every name starting with ``_``)."""

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name in _HELPER_NAMES:
            return
        super().check_name(node, name, allow_magic_methods)
