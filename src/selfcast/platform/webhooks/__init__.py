"""Outgoing webhooks, signed per the Standard Webhooks spec: endpoints per account, an outbox of
deliveries written with the events themselves, and the dispatcher that sends them with retries."""
