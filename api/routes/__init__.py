"""One blueprint per resource. ``BLUEPRINTS`` is what ``create_app`` mounts under ``/api/v1``.

To add a resource: write ``api/routes/<name>.py`` with ``bp = Blueprint("<name>", __name__)`` and
``@operation`` routes, its schemas in ``api/schemas/<name>.py``, and list it here. The OpenAPI
document picks it up by itself (tagged with the blueprint's name, described by the module's docstring).
"""

from api.routes import decisions, events, incidents, instances, models, overview, system, tasks, timers, users

# In the order the API page shows them.
BLUEPRINTS = (
    tasks.bp,
    instances.bp,
    events.bp,
    models.bp,
    overview.bp,
    decisions.bp,
    timers.bp,
    incidents.bp,
    users.bp,
    system.bp,
)
