"""Payment callbacks: the Stripe webhook and the built-in invoice page a checkout URL opens."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse

from selfcast.errors import NotFound
from selfcast.platform.deps import PlatformDep
from selfcast.platform.payments import webhooks
from selfcast.platform.store.models import TopUp

router = APIRouter(tags=["payments"])


@router.post("/webhooks/stripe", summary="Stripe events (signature-verified, each applied once)")
async def stripe_webhook(
    request: Request, platform: PlatformDep, stripe_signature: str | None = Header(None)
) -> dict[str, str]:
    payload = await request.body()
    event = webhooks.verify(payload, stripe_signature, platform.settings.payments.stripe_webhook_secret)
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(webhooks.apply, platform.store, event)
    return {"received": "true", "event_id": result.event_id, "outcome": result.outcome}


@router.get(
    "/topup/{topup_id}",
    response_class=HTMLResponse,
    summary="The built-in invoice page",
    include_in_schema=False,
)
def topup_page(topup_id: str, platform: PlatformDep) -> HTMLResponse:
    with platform.store.read() as db:
        row = db.get(TopUp, topup_id)
        if row is None:
            raise NotFound(f"no top-up {topup_id}")
        status, credits, cents, provider = row.status, row.credits, row.amount_cents, row.provider
    if status == "paid":
        what = f"<p class=ok>Paid. {credits:,} credits are in your balance.</p>"
    elif status == "pending" and provider == "invoice":
        what = (
            "<p>This server uses the built-in invoice flow. Your operator approves the top-up with:</p>"
            f"<pre>selfcast credits approve {escape(topup_id)}</pre>"
            "<p>Your balance updates as soon as it is approved; the skill keeps polling.</p>"
        )
    else:
        what = f"<p>Status: {escape(status)}.</p>"
    html = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>selfcast top-up {escape(topup_id)}</title>
<meta name=viewport content="width=device-width,initial-scale=1">
<style>body{{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}
pre{{background:#f4f4f4;padding:.75rem;border-radius:6px}}.ok{{color:#176b2c;font-weight:600}}</style></head>
<body><h1>Top-up {escape(topup_id)}</h1><p>{credits:,} credits · ${cents / 100:,.2f}</p>{what}</body></html>"""
    return HTMLResponse(html)
