"""The HTTP API (Flask): parses, authorises, calls one engine function, serialises."""

from api.app import create_app

__all__ = ["create_app"]
