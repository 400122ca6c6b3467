"""Everything a request handler needs, built once per app (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass

from selfcast.platform.payments.base import PaymentProvider
from selfcast.platform.sessions.executor import Executor
from selfcast.platform.sessions.monitor import SessionMonitor
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.store import Store
from selfcast.platform.webhooks.dispatcher import WebhookDispatcher
from selfcast.settings import Settings


@dataclass
class Platform:
    settings: Settings
    store: Store
    registry: SessionRegistry
    executor: Executor
    payments: PaymentProvider
    monitor: SessionMonitor
    webhooks: WebhookDispatcher
