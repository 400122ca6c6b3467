"""The ``selfcast`` command. Each module in this package that defines ``register(app)`` adds its
commands; ``main`` discovers them, so command groups never edit a shared list."""
