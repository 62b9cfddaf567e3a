"""Forms from JSON Schema, for people: a view of the fields to render, and the post read back as JSON.

The same code renders task forms, start forms and (issue 14) the live preview of a form being
edited: it reads only the schema, the values and the locale, never the request.

Field names in the HTML are the JSON paths with dots: ``customer``, ``lines.0.product``.
"""

from web.forms.posted import Submission, errors_by_field, flatten, parse_submission
from web.forms.view import Field, FormView, Row, build_form

__all__ = [
    "Field",
    "FormView",
    "Row",
    "Submission",
    "build_form",
    "errors_by_field",
    "flatten",
    "parse_submission",
]
