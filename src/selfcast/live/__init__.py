"""One live session: joins a meeting and runs the conversation loop in real time.

``run_session`` (the worker's entry point) → ``LiveSession``: engines loaded while the bot joins,
audio as the master clock (``media_out``), cancellable speech (``speech``), auto-leave decisions
(``policy``), the conversation and its record (``conversation``, ``notes``), agent commands
(``commands``).
"""
