"""selfcast: open, self-hosted AI selves that attend video meetings."""

__version__ = "0.1.0"
