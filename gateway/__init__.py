"""Lead Archive: archive VICIdial leads through verified stored procedures.

Public API::

    from gateway import Settings, Problem, LeadArchiveError
    from gateway.http.app import create_app
"""

from __future__ import annotations

from gateway.errors import ConfigError, LeadArchiveError, Problem, UnsupportedServer
from gateway.settings import Settings

__all__ = ["ConfigError", "LeadArchiveError", "Problem", "Settings", "UnsupportedServer"]
__version__ = "0.1.0"
