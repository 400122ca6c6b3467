"""The Pika-compatible routes, exactly as ``pika-contract.md`` lists them, so the original
``pikastream-video-meeting`` skill works unchanged with ``PIKA_API_BASE_URL`` pointed here.

The original client reads ``body.get("data", body)``; forks read the fields at the top level. The
developer and realtime routes therefore answer both shapes at once: the fields at the top level
and the same object under ``data``. The OpenAI and MiniMax proxies answer in those APIs' own
shapes (``data[0].b64_json``; ``base_resp`` with ``status_code`` 0 on success).
"""

from __future__ import annotations

import base64
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, File, Form, Header, Response, UploadFile
from pydantic import BaseModel

from selfcast.errors import BadInput
from selfcast.platform import avatars, fastpath, params, quotas, voices
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import products
from selfcast.platform.deps import CallerDep, PlatformDep
from selfcast.platform.payments import topups
from selfcast.platform.routes.common import read_upload
from selfcast.platform.sessions.launch import launch
from selfcast.platform.sessions.page import is_page, page_url_of

router = APIRouter(tags=["pika-compatible"])


def both(d: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields and a ``data`` copy: satisfies ``body["x"]`` and ``body.get("data", body)["x"]``."""
    return {**d, "data": dict(d)}


def both_json(view: BaseModel) -> bytes:
    """``both(view)`` as JSON bytes, serialised once by pydantic (the status poll is the hottest route)."""
    body = view.model_dump_json().encode()
    return body[:-1] + b',"data":' + body + b"}"


def minimax_ok(**extra: Any) -> dict[str, Any]:
    return {**extra, "base_resp": {"status_code": 0, "status_msg": "success"}}


# 1
@router.get("/developer/balance", summary="Credit balance (available = total - held)")
def balance(platform: PlatformDep, caller: CallerDep) -> dict[str, Any]:
    with platform.store.read() as db:
        bal = ledger.balance(db, caller.account_id)
    return both(
        {
            "balance": bal.available,
            "held": bal.held,
            "min_to_join": platform.settings.pricing.min_credits_to_join,
        }
    )


# 2
@router.get("/developer/topup/products", summary="Credit packs for sale")
def topup_products(platform: PlatformDep, caller: CallerDep) -> dict[str, Any]:
    items = [
        {
            "productId": p.id,
            "name": p.name,
            "numCredits": p.credits,
            "product_id": p.id,
            "title": p.name,
            "num_credits": p.credits,
            "price_cents": p.price_cents,
            "price": p.price,
            "currency": p.currency,
        }
        for p in products(platform.settings.pricing)
    ]
    return both({"products": items})


# 3
@router.post("/developer/topup", summary="Open a checkout for a credit pack")
def topup(platform: PlatformDep, caller: CallerDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadInput('send JSON like {"product_id": "pack_800"}')
    product_id = body.get("product_id") or body.get("productId")
    row = topups.start(
        platform.store, platform.payments, platform.settings.pricing, caller.account_id, product_id
    )
    return both(
        {"checkout_url": row.checkout_url, "topup_id": row.id, "status": row.status, "credits": row.credits}
    )


# 4
@router.post("/proxy/realtime/meeting-session", summary="Send the avatar into a meeting")
def meeting_session(
    platform: PlatformDep,
    caller: CallerDep,
    image: UploadFile | None = File(None),
    voice_id: str | None = Form(None),
    meet_url: str | None = Form(None),
    bot_name: str | None = Form(None),
    platform_name: str | None = Form(None, alias="platform"),
    meeting_password: str | None = Form(None),
    system_prompt: str | None = Form(None),
    max_duration_sec: float | None = Form(None),
    x_skill_name: str | None = Header(None),
) -> dict[str, Any]:
    if image is None:
        raise BadInput("image is required: upload the avatar portrait as multipart field `image`")
    data = read_upload(image)
    row = launch(
        platform.registry,
        platform.executor,
        caller.account_id,
        meet_url=meet_url,
        platform=platform_name,
        bot_name=bot_name,
        voice_id=voice_id,
        image=data,
        system_prompt=system_prompt,
        meeting_password=meeting_password,
        max_duration_s=max_duration_sec,
        server_base_url=platform.settings.base_url,
    )
    out: dict[str, Any] = {"session_id": row.id, "status": row.state, "platform": row.platform}
    if is_page(row.platform):  # platform "page": the link to hand the meeting bot vendor
        out["page_url"] = page_url_of(platform.settings, row.meet_url)
    return both(out)


# 5
@router.get("/proxy/realtime/session/{session_id}", summary="Session status (poll every ~2 s)")
async def session_status(
    session_id: str, platform: PlatformDep, authorization: str | None = Header(None)
) -> Response:
    view = await fastpath.session_status(platform.store, authorization, session_id)
    return Response(both_json(view), media_type="application/json")


# 6
@router.delete("/proxy/realtime/session/{session_id}", summary="Leave the meeting (billing stops here)")
def session_leave(session_id: str, platform: PlatformDep, caller: CallerDep) -> dict[str, Any]:
    row, tell = platform.registry.request_leave(caller.account_id, session_id)
    if tell:
        platform.executor.cancel(session_id)
    return both({"session_id": row.id, "closed": True, "status": row.state})


# 7
@router.post("/proxy/openai/v1/images/generations", summary="Generate an avatar (OpenAI Images shape)")
def images_generations(
    platform: PlatformDep,
    caller: CallerDep,
    body: dict[str, Any] = Body(...),
    x_model: str | None = Header(None),
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadInput("send a JSON object like the OpenAI Images API")
    n = body.get("n", 1)
    if n not in (1, None):
        raise BadInput("n must be 1")
    prompt = body.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise BadInput("prompt must be a string")
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise BadInput("seed must be an integer")
    wanted = params.parse_image_params(body.get("style"), body.get("size"), body.get("output_format"))
    style = wanted.style
    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "avatar_generate")
    png = avatars.generate_png(platform.settings, prompt=prompt, style=style, seed=seed)
    out = avatars.resize_png(png, body.get("size"), wanted.output_format)
    row = avatars.record(
        platform.store,
        platform.settings,
        caller.account_id,
        png,
        source="generated",
        prompt=prompt or "",
        style=style,
    )
    return {
        "created": int(time.time()),
        "data": [{"b64_json": base64.b64encode(out).decode(), "revised_prompt": prompt or ""}],
        "avatar_id": row.id,
    }


# 8
@router.post("/proxy/minimax/v1/files/upload", summary="Upload voice audio (MiniMax shape)")
def minimax_upload(
    platform: PlatformDep,
    caller: CallerDep,
    file: UploadFile | None = File(None),
    purpose: str = Form("voice_clone"),
) -> dict[str, Any]:
    if file is None:
        raise BadInput("file is required: upload the recording as multipart field `file`")
    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "upload")
    data = read_upload(file)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (Path(file.filename or "audio").name or "audio")
        src.write_bytes(data)
        row = voices.store_upload(
            platform.store,
            platform.settings,
            caller.account_id,
            filename=file.filename or "audio",
            purpose=purpose,
            src=src,
            size=len(data),
        )
    info = {
        "file_id": row.id,
        "bytes": row.size_bytes,
        "created_at": int(row.created_at.timestamp()),
        "filename": row.filename,
        "purpose": row.purpose,
    }
    return minimax_ok(file=info, file_id=row.id)


# 9
@router.post("/proxy/minimax/v1/voice_clone", summary="Clone a voice from an uploaded file (MiniMax shape)")
def minimax_voice_clone(
    platform: PlatformDep, caller: CallerDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadInput("send JSON with file_id and voice_id")
    voice_id = body.get("voice_id")
    if not voice_id:
        raise BadInput("voice_id is required")
    sample_rate = params.parse_sample_rate(body.get("sample_rate"))  # before any lookup: 400, never 500
    with platform.store.read() as db:
        up = voices.get_upload(db, caller.account_id, body.get("file_id"))
    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "voice_clone")
    row = voices.clone(
        platform.store,
        platform.settings,
        caller.account_id,
        audio_path=Path(up.path),
        name=str(body.get("name") or voice_id),
        voice_id=str(voice_id),
        noise_reduction=bool(body.get("need_noise_reduction", False)),
        sample_rate=sample_rate,
        source_name=up.filename,
    )
    return minimax_ok(voice_id=row.voice_id, input_sensitive=False)
