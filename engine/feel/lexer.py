"""Split FEEL text into tokens.

Names are single words here (``Customer``, ``Type``); the parser joins adjacent words
into multi-word names such as ``Customer Type``, because only it knows where a name may
stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.feel.errors import FeelSyntaxError

KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "if",
        "then",
        "else",
        "true",
        "false",
        "null",
        "in",
        "between",
        "for",
        "some",
        "every",
        "return",
        "satisfies",
        "instance",
        "of",
        "function",
    }
)

# Longest operators first so that "<=" wins over "<" and ".." over ".".
_OPERATORS = (
    "..",
    "<=",
    ">=",
    "!=",
    "**",
    "<",
    ">",
    "=",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    "?",
)

_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# \w is Unicode-aware, so Chinese field names are names too.
_WORD = re.compile(r"[^\W\d]\w*")
_SPACE = re.compile(r"\s+")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number" | "string" | "name" | "keyword" | "op" | "temporal" | "end"
    text: str  # operator or keyword text, the word, or the decoded string value
    offset: int


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Decode the string literal whose opening quote is at ``start``; return it and the next offset."""
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(parts), i + 1
        if ch == "\\":
            if i + 1 >= len(text):
                break
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                parts.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise FeelSyntaxError(f"unknown escape \\{nxt} in string", i)
            parts.append(_ESCAPES[nxt])
            i += 2
            continue
        parts.append(ch)
        i += 1
    raise FeelSyntaxError("string is not closed with a double quote", start)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        if ch == '"':
            value, i_next = _read_string(text, i)
            tokens.append(Token("string", value, i))
            i = i_next
            continue
        if ch == "@" and i + 1 < n and text[i + 1] == '"':
            value, i_next = _read_string(text, i + 1)
            tokens.append(Token("temporal", value, i))
            i = i_next
            continue
        if ch == "`":
            # Backtick names (as in Camunda's FEEL) let a name hold any character.
            end = text.find("`", i + 1)
            if end <= i + 1:
                raise FeelSyntaxError("backtick name is not closed", i)
            tokens.append(Token("name", text[i + 1 : end], i))
            i = end + 1
            continue
        number = _NUMBER.match(text, i)
        if number:
            tokens.append(Token("number", number.group(), i))
            i = number.end()
            continue
        word = _WORD.match(text, i)
        if word:
            value = word.group()
            tokens.append(Token("keyword" if value in KEYWORDS else "name", value, i))
            i = word.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise FeelSyntaxError(f"unexpected character {ch!r}", i)
    tokens.append(Token("end", "", n))
    return tokens
