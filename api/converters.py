"""URL converters."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, IntegerConverter, Map

from api.schemas.fields import MAX_ID


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive database id. Out-of-range numbers do not match, so they are 404s
    rather than database errors."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class ModelKeyConverter(BaseConverter):
    """``<model_key:key>`` on ``GET /models/{key}``: any key but the word ``validate``, the dry-run
    operation beside it — else ``/models/validate`` would also answer GET, and its 405 would offer it."""

    regex = r"(?!validate(?![A-Za-z0-9_.-]))[^/]+"
