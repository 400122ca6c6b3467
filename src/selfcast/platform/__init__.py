"""The control plane: accounts, dev keys, credits ledger, payments, session registry, executors.

Service modules (``accounts``, ``keys``, ``billing``, ``payments``, ``sessions``) hold the logic and
take an open SQLAlchemy ``Session`` so callers choose the transaction boundary; route modules only
translate HTTP to those calls. ``create_app(settings)`` in ``app`` wires everything together.
"""
