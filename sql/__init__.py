"""The SQL files, shipped in the wheel as the package data of ``gateway._sql``.

pyproject.toml maps the package ``gateway._sql`` onto this directory; ``gateway.admin.installer``
reads the files through ``importlib.resources``. Nothing here is Python but this marker.
"""
