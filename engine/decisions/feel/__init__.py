"""The FEEL subset of the decision engine: S-FEEL unary tests and simple expressions.

``compile_unary_tests`` and ``compile_expression`` parse once and return closures; see
``docs/decisions.md`` for the subset.
"""

from engine.decisions.feel.compiler import CompiledExpression, compile_expression
from engine.decisions.feel.errors import FeelLimitError, FeelSyntaxError, FeelTooComplex, FeelTypeError
from engine.decisions.feel.unary import CompiledTests, compile_unary_tests

__all__ = [
    "CompiledExpression",
    "CompiledTests",
    "FeelLimitError",
    "FeelSyntaxError",
    "FeelTooComplex",
    "FeelTypeError",
    "compile_expression",
    "compile_unary_tests",
]
