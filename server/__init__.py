"""The HTTP server: one Flask app (``server.app.create_app``) carrying both faces, ``api/`` and ``web/``.

Besides the factory, this package holds what both faces share: where the app keeps its engine and
settings (``context``), the serving settings (``settings``), the one mapping of engine errors to
HTTP (``errors``) and the headers every response carries (``headers``). Those shared modules
import neither face; only ``server.app`` does (import-linter holds both rules). This file imports
nothing, so that the faces can import the shared modules while ``server.app`` imports the faces.
"""
