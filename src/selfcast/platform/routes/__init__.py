"""HTTP routes: ``v1`` (versioned REST), ``pika`` (the compatible surface), ``payments``."""
