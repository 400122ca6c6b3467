"""Doors that are not the CLI or the REST API itself: the MCP server for coding agents."""
