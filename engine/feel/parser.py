"""Recursive-descent parser for the FEEL subset used in decision tables.

Two entry points: ``parse_expression`` (input expressions, output entries, literal
decisions) and ``parse_unary_tests`` (input entries, allowed values).

Multi-word names: FEEL allows ``Customer Type`` as one name. Adjacent words are joined
into one name (two names side by side mean nothing else in FEEL). A name that contains a
keyword (``Days in arrears``) can only be recognised when the caller passes it in
``known_names``; the longest known name that matches the upcoming words wins.

Bounded work: chains (``a and b and …``, ``1 + 2 + …``) are read in loops into one node each, so
their length costs no recursion; nesting (parentheses, lists, calls, paths, ``if``, minus signs)
does, here and in the compiler, and is refused past ``MAX_NESTING`` levels with a syntax error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from engine.feel import ast
from engine.feel.errors import FeelSyntaxError, FeelTooComplex
from engine.feel.lexer import Token, tokenize
from engine.feel.temporal import parse_temporal

# Built-ins whose names contain a keyword; they are only names when a call follows.
_KEYWORD_FUNCTION_NAMES = (("date", "and", "time"),)
_COMPARISON_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
# Far beyond any table a person writes (they nest a handful of levels), and far below Python's
# recursion limit: each level costs the parser ~10 frames and the compiler a few more.
MAX_NESTING = 32
# FEEL's own numbers (IEEE 754 decimal128) have 34 digits; 1,000 leaves room for any amount.
MAX_LITERAL_DIGITS = 1000
_UNSUPPORTED = {
    "for": "'for' loops are not supported in decision tables",
    "some": "'some' expressions are not supported in decision tables",
    "every": "'every' expressions are not supported in decision tables",
    "function": "function definitions are not supported in decision tables",
    "instance": "'instance of' is not supported in decision tables",
}


def _word_tuples(names: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    multi = {tuple(n.split()) for n in names if len(n.split()) > 1}
    return tuple(sorted(multi, key=len, reverse=True))


class _Parser:
    def __init__(self, text: str, known_names: Iterable[str] = ()) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.known = _word_tuples(known_names)
        self.depth = 0

    # --- token helpers -------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        index = min(self.pos + ahead, len(self.tokens) - 1)
        return self.tokens[index]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "keyword" and token.text in words

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            raise self.error(f"expected '{op}'")
        return self.advance()

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            raise self.error("unexpected text")

    def error(self, message: str, token: Token | None = None) -> FeelSyntaxError:
        token = token or self.peek()
        found = "end of text" if token.kind == "end" else repr(self.text[token.offset : token.offset + 12])
        return FeelSyntaxError(f"{message}, found {found}", token.offset)

    def nest(self) -> None:
        """Enter one more level of nesting; the caller leaves it with ``self.depth -= 1``."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FeelTooComplex(
                f"nested more than {MAX_NESTING} levels deep (parentheses, lists, calls, paths, "
                f"'if' and minus signs each count); split it into simpler cells or decisions",
                self.peek().offset,
            )

    # --- expressions ---------------------------------------------------------------

    def expression(self) -> ast.Node:
        self.nest()
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> ast.Node:
        if self.at_keyword("if"):
            self.advance()
            condition = self.expression()
            if not self.at_keyword("then"):
                raise self.error("expected 'then'")
            self.advance()
            then = self.expression()
            if not self.at_keyword("else"):
                raise self.error("expected 'else'")
            self.advance()
            return ast.If(condition, then, self.expression())
        token = self.peek()
        if token.kind == "keyword" and token.text in _UNSUPPORTED:
            raise FeelSyntaxError(_UNSUPPORTED[token.text], token.offset)
        return self.disjunction()

    def disjunction(self) -> ast.Node:
        operands = [self.conjunction()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.conjunction())
        return ast.Or(operands) if len(operands) > 1 else operands[0]

    def conjunction(self) -> ast.Node:
        operands = [self.comparison()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.comparison())
        return ast.And(operands) if len(operands) > 1 else operands[0]

    def comparison(self) -> ast.Node:
        node = self.additive()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARISON_OPS:
            self.advance()
            node = ast.Comparison(token.text, node, self.additive())
        elif self.at_keyword("between"):
            self.advance()
            low = self.additive()
            if not self.at_keyword("and"):
                raise self.error("expected 'and' in 'between'")
            self.advance()
            node = ast.Between(node, low, self.additive())
        elif self.at_keyword("in"):
            self.advance()
            node = ast.In(node, self.in_tests())
        elif self.at_keyword("instance"):
            raise FeelSyntaxError(_UNSUPPORTED["instance"], self.peek().offset)
        else:
            return node
        after = self.peek()
        if (after.kind == "op" and after.text in _COMPARISON_OPS) or self.at_keyword("between", "in"):
            raise self.error("FEEL does not chain comparisons; combine them with 'and'", after)
        return node

    def in_tests(self) -> ast.UnaryTests:
        if self.at_op("("):
            if self._range_ahead():
                return ast.UnaryTests([self.positive_test()])
            # "(1, 2)" is a list of tests, not one parenthesised value
            self.advance()
            tests = self.positive_tests()
            self.expect_op(")")
            return ast.UnaryTests(tests)
        return ast.UnaryTests([self.positive_test()])

    def _chain(self, ops: tuple[str, ...], operand: Callable[[], ast.Node]) -> ast.Node:
        first = operand()
        rest: list[tuple[str, ast.Node]] = []
        while self.at_op(*ops):
            op = self.advance().text
            rest.append((op, operand()))
        return ast.Arithmetic(first, rest) if rest else first

    def additive(self) -> ast.Node:
        return self._chain(("+", "-"), self.multiplicative)

    def multiplicative(self) -> ast.Node:
        return self._chain(("*", "/"), self.power)

    def power(self) -> ast.Node:
        return self._chain(("**",), self.negation)

    def negation(self) -> ast.Node:
        if self.at_op("-"):
            self.advance()
            self.nest()
            try:
                operand = self.negation()
            finally:
                self.depth -= 1
            if isinstance(operand, ast.Literal) and type(operand.value) in (int, float):
                return ast.Literal(-operand.value)
            return ast.Negate(operand)
        return self.postfix()

    def postfix(self) -> ast.Node:
        node = self.primary()
        entered = self.depth
        try:
            while True:
                if self.at_op("."):
                    self.nest()  # each step of a path is a level of the tree
                    self.advance()
                    if self.peek().kind != "name":
                        raise self.error("expected a name after '.'")
                    node = ast.Path(node, self.name_words())
                elif self.at_op("[") and not self._closes_range():
                    self.nest()
                    self.advance()
                    index = self.expression()
                    self.expect_op("]")
                    node = ast.Index(node, index)
                elif self.at_op("("):
                    raise self.error("only built-in functions can be called")
                else:
                    return node
        finally:
            self.depth = entered

    def _closes_range(self) -> bool:
        """A '[' that ends a test (``]1..5[``) rather than indexing a list."""
        after = self.peek(1)
        return after.kind == "end" or (after.kind == "op" and after.text in (",", ")"))

    def primary(self) -> ast.Node:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            return ast.Literal(self.number(token))
        if token.kind == "string":
            self.advance()
            return ast.Literal(token.text)
        if token.kind == "temporal":
            self.advance()
            try:
                return ast.Literal(parse_temporal(token.text))
            except ValueError as exc:
                raise FeelSyntaxError(str(exc), token.offset)
        if token.kind == "keyword":
            return self.keyword_primary(token)
        if token.kind == "name":
            start = token
            name = self.name_words()
            if self.at_op("("):
                return ast.Call(name, self.arguments(), start.offset)
            return ast.Name(name, start.offset)
        if token.kind == "op":
            if token.text == "?":
                self.advance()
                return ast.InputValue()
            if token.text == "(":
                self.advance()
                node = self.expression()
                self.expect_op(")")
                return node
            if token.text == "[":
                return self.list_literal()
            if token.text == "{":
                return self.context_literal()
        raise self.error("expected a value")

    def number(self, token: Token) -> int | float:
        if sum(c.isdigit() for c in token.text) > MAX_LITERAL_DIGITS:
            raise FeelTooComplex(f"a number of more than {MAX_LITERAL_DIGITS} digits", token.offset)
        if "." not in token.text:
            return int(token.text)
        value = float(token.text)
        if not math.isfinite(value):
            raise FeelTooComplex(f"the number {token.text[:20]}… is out of range", token.offset)
        return value

    def keyword_primary(self, token: Token) -> ast.Node:
        if token.text in ("true", "false", "null"):
            self.advance()
            return ast.Literal({"true": True, "false": False, "null": None}[token.text])
        if token.text == "not" and self.peek(1).kind == "op" and self.peek(1).text == "(":
            self.advance()
            return ast.Call("not", self.arguments(), token.offset)
        if token.text == "if":
            return self.expression()
        if token.text in _UNSUPPORTED:
            raise FeelSyntaxError(_UNSUPPORTED[token.text], token.offset)
        raise self.error(f"'{token.text}' cannot start a value")

    def name_words(self) -> str:
        """Consume a (possibly multi-word) name starting at the current token."""
        for words in self.known + _KEYWORD_FUNCTION_NAMES:
            if self._matches(words):
                is_function_only = words in _KEYWORD_FUNCTION_NAMES
                if is_function_only and not (
                    self.peek(len(words)).kind == "op" and self.peek(len(words)).text == "("
                ):
                    continue
                self.pos += len(words)
                return " ".join(words)
        words = [self.advance().text]
        while self.peek().kind == "name":
            words.append(self.advance().text)
        return " ".join(words)

    def _matches(self, words: tuple[str, ...]) -> bool:
        for i, word in enumerate(words):
            token = self.peek(i)
            if token.kind not in ("name", "keyword") or token.text != word:
                return False
        return True

    def arguments(self) -> list[ast.Node]:
        self.expect_op("(")
        args: list[ast.Node] = []
        if self.at_op(")"):
            self.advance()
            return args
        while True:
            if self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == ":":
                raise self.error("named arguments are not supported")
            args.append(self.expression())
            if self.at_op(","):
                self.advance()
                continue
            self.expect_op(")")
            return args

    def list_literal(self) -> ast.Node:
        self.expect_op("[")
        items: list[ast.Node] = []
        if not self.at_op("]"):
            items.append(self.expression())
            while self.at_op(","):
                self.advance()
                items.append(self.expression())
        self.expect_op("]")
        return ast.ListExpr(items)

    def context_literal(self) -> ast.Node:
        self.expect_op("{")
        entries: list[tuple[str, ast.Node]] = []
        while not self.at_op("}"):
            token = self.peek()
            if token.kind == "string":
                key = self.advance().text
            elif token.kind in ("name", "keyword"):
                words = [self.advance().text]
                while self.peek().kind in ("name", "keyword"):
                    words.append(self.advance().text)
                key = " ".join(words)
            else:
                raise self.error("expected a context key")
            self.expect_op(":")
            entries.append((key, self.expression()))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op("}")
        return ast.ContextExpr(entries)

    # --- unary tests ---------------------------------------------------------------

    def unary_tests(self) -> ast.Node:
        first = self.peek()
        if first.kind == "end":
            return ast.AnyTest()
        if first.kind == "op" and first.text == "-" and self.peek(1).kind == "end":
            return ast.AnyTest()
        if first.kind == "keyword" and first.text == "not" and self.peek(1).text == "(":
            saved = self.pos
            self.pos += 2
            try:
                tests = self.positive_tests()
                self.expect_op(")")
                self.expect_end()
                return ast.UnaryTests(tests, negated=True)
            except FeelSyntaxError:
                # Perhaps "not(a) = b" or similar: an expression that merely starts with not(.
                self.pos = saved
        tests = self.positive_tests()
        self.expect_end()
        return ast.UnaryTests(tests)

    def positive_tests(self) -> list[ast.Node]:
        tests = [self.positive_test()]
        while self.at_op(","):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self) -> ast.Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("<", "<=", ">", ">="):
            self.advance()
            return ast.CompareTest(token.text, self.additive())
        if token.kind == "op" and token.text in ("[", "(", "]") and self._range_ahead():
            saved = self.pos
            interval = self.interval()
            if interval is not None:
                return interval
            self.pos = saved
        return ast.ExpressionTest(self.expression())

    def _range_ahead(self) -> bool:
        """Whether the bracket at the current token opens a range (``[1..5)``, ``]0..9[``): a '..'
        directly inside it. Looking ahead, rather than parsing twice, keeps nested ``x in (…)``
        linear: trying each level both ways would double the work at every level."""
        depth = 0
        for token in self.tokens[self.pos + 1 :]:
            if token.kind != "op":
                continue
            if token.text in ("(", "[", "{"):
                depth += 1
            elif token.text in (")", "]", "}"):
                if depth == 0:
                    return False
                depth -= 1
            elif token.text == ".." and depth == 0:
                return True
        return False

    def interval(self) -> ast.RangeTest | None:
        opening = self.advance()
        try:
            low = self.additive()
        except FeelSyntaxError:
            if opening.text == "]":
                raise
            return None
        if not self.at_op(".."):
            if opening.text == "]":
                raise self.error("expected '..' in range")
            return None
        self.advance()
        high = self.additive()
        closing = self.peek()
        if not (closing.kind == "op" and closing.text in ("]", ")", "[")):
            raise self.error("expected ']', ')' or '[' to close the range")
        self.advance()
        return ast.RangeTest(low, high, low_closed=opening.text == "[", high_closed=closing.text == "]")


def parse_expression(text: str, known_names: Iterable[str] = ()) -> ast.Node:
    parser = _Parser(text, known_names)
    if parser.peek().kind == "end":
        raise FeelSyntaxError("empty expression", 0)
    node = parser.expression()
    parser.expect_end()
    return node


def parse_unary_tests(text: str, known_names: Iterable[str] = ()) -> ast.Node:
    return _Parser(text, known_names).unary_tests()
