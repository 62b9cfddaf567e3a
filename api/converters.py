"""URL converters."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from api.schemas.fields import MAX_ID


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive database id. Out-of-range numbers do not match, so they are 404s
    rather than database errors."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)
