"""The web UI is served by the same app as the API: the API's live-server fixture serves both."""

from tests.api.conftest import api  # noqa: F401 (a live HTTP server from server.app.create_app)
