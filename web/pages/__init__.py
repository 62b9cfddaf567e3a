"""The web UI's pages, one module per part of the product (their routes are on ``web.blueprint.bp``)."""
