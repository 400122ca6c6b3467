"""``selfcast mcp``: live meetings as MCP tools, so an agent can join, speak, listen and leave.

The server is a thin client of the platform's HTTP API (dev key auth), never of its internals:
the same server works against a local ``selfcast serve`` or a hosted one.
"""

from selfcast.door.mcp.client import PlatformClient
from selfcast.door.mcp.server import build_server

__all__ = ["PlatformClient", "build_server"]
