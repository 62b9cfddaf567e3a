"""FEEL, the expression language of DMN: S-FEEL unary tests and simple expressions, used by decision
tables (engine.dmn) and by process expressions (engine.scripting.expressions).

``compile_unary_tests`` and ``compile_expression`` parse once and return closures; see
``docs/decisions.md`` for the subset.
"""

from engine.feel.compiler import CompiledExpression, compile_expression
from engine.feel.errors import FeelLimitError, FeelSyntaxError, FeelTooComplex, FeelTypeError
from engine.feel.unary import CompiledTests, compile_unary_tests
from engine.feel.values import to_json

__all__ = [
    "CompiledExpression",
    "CompiledTests",
    "FeelLimitError",
    "FeelSyntaxError",
    "FeelTooComplex",
    "FeelTypeError",
    "compile_expression",
    "compile_unary_tests",
    "to_json",
]
