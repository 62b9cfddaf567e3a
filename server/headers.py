"""The headers every response carries: no MIME sniffing, and not stored unless it is a file.

API answers and web pages hold tokens and process data, so they default to ``no-store``. A
response that says how it may be cached keeps it: ``send_file`` always does, so the web UI's
static files go out ``public, max-age`` (``web.pages``). Paths under ``cacheable`` (the API page:
Swagger UI's page and files, which hold no data) get no default at all.
"""

from __future__ import annotations

from flask import Flask, Response, request


def install(app: Flask, *, cacheable: tuple[str, ...] = ()) -> None:
    def secure_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith(cacheable):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.after_request(secure_headers)
