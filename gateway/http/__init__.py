"""The HTTP service: routes, authentication, office hours, body validation, OpenAPI, metrics.

It knows the database only through :mod:`gateway.db`.
"""
