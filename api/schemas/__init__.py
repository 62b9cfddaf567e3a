"""Marshmallow schemas: what each route reads (``*Body``/``*Query``) and returns.

They are the single source of the OpenAPI document's components (see ``api.openapi``)."""
