"""Voices and avatars: clone a voice from a recording and hear a sample sentence; upload or
generate an avatar and watch a short preview clip. Uploads are posted by a small script (to show
progress) and answered in JSON; without scripts the forms post normally and redirect back."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from selfcast.avatar.generator import STYLES
from selfcast.errors import BadInput, NotFound, SelfcastError
from selfcast.platform import avatars, quotas, voices
from selfcast.platform.ids import new_id
from selfcast.platform.limits import AUDIO_MAX, IMAGE_MAX
from selfcast.platform.portal import defaults, media
from selfcast.platform.portal.web import Portal, wants_json
from selfcast.platform.routes.common import read_upload


def add_routes(router: APIRouter, portal: Portal) -> None:
    settings = portal.settings
    csrf = Depends(portal.check_csrf)

    def page(request: Request, status: int = 200, **extra: object) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            voice_rows = voices.list_voices(db, viewer.account_id)
            avatar_rows = avatars.list_avatars(db, viewer.account_id)
        return portal.render(
            request, "media.html", status=status, active="media", voices=voice_rows, avatars=avatar_rows,
            builtin_voices=media.builtin_voice_ids(settings), styles=list(STYLES),
            sample_sentence=media.SAMPLE_SENTENCE, **extra,
        )  # fmt: skip

    def done(request: Request, message: str, payload: dict[str, object], anchor: str) -> Response:
        if wants_json(request):
            return JSONResponse({"ok": True, "message": message, **payload}, status_code=201)
        resp = portal.redirect(f"/account/media#{anchor}")
        portal.flash(request, resp, message)
        return resp

    def failed(request: Request, exc: SelfcastError, field: str) -> Response:
        headers = quotas.retry_headers(exc)
        if wants_json(request):
            return JSONResponse(
                {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status,
                headers=headers,
            )  # fmt: skip
        resp = page(request, status=exc.http_status, **{field: exc.message})
        resp.headers.update(headers or {})
        return resp

    @router.get("/account/media")
    def media_page(request: Request) -> Response:
        return page(request)

    # ---- voices -----------------------------------------------------------------------------
    @router.post("/account/voices", dependencies=[csrf])
    def clone_voice(
        request: Request, audio: UploadFile | None = File(None), name: str = Form("")
    ) -> Response:
        viewer = portal.viewer(request)
        platform = portal.platform(request)

        def clone() -> str:
            if not name.strip():
                raise BadInput("give the voice a name, e.g. “My voice”")
            if audio is None or not audio.filename:
                raise BadInput(
                    "choose a recording: 10 s – 5 min of clear speech (mp3, m4a, wav, ogg, webm …)"
                )
            quotas.take(platform.store, settings.quotas, viewer.account_id, "voice_clone")
            data = read_upload(audio, limit=AUDIO_MAX)
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / (Path(audio.filename).name or "audio")
                src.write_bytes(data)
                voices.audio_duration(src, field="the recording")
                row = voices.clone(
                    platform.store, settings, viewer.account_id, audio_path=src, name=name.strip()[:200],
                    voice_id=new_id("voice"), noise_reduction=True, source_name=audio.filename,
                )  # fmt: skip
            return row.voice_id

        try:
            voice_id = clone()
        except SelfcastError as exc:
            return failed(request, exc, "voice_error")
        return done(
            request, f"Voice “{name.strip()}” is ready.",
            {"voice_id": voice_id, "sample_url": f"/account/voices/{voice_id}/sample.wav"}, "voices",
        )  # fmt: skip

    @router.get("/account/voices/{voice_id}/sample.wav")
    def voice_sample(request: Request, voice_id: str) -> Response:
        viewer = portal.viewer(request)
        if voice_id not in media.builtin_voice_ids(settings):
            with portal.platform(request).store.read() as db:
                voices.get(db, viewer.account_id, voice_id)  # another account's voice: 404
        cache = settings.data_dir / "portal" / "samples" / f"{voices.check_voice_id(voice_id)}.wav"
        if not cache.exists():
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_bytes(media.sample_wav(settings, voice_id))
            tmp.replace(cache)
        return FileResponse(cache, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"})

    # ---- avatars ----------------------------------------------------------------------------
    @router.post("/account/avatars", dependencies=[csrf])
    def upload_avatar(request: Request, image: UploadFile | None = File(None)) -> Response:
        viewer = portal.viewer(request)
        platform = portal.platform(request)

        def record() -> str:
            if image is None or not image.filename:
                raise BadInput("choose a portrait photo (PNG or JPEG, one face, looking at the camera)")
            quotas.take(platform.store, settings.quotas, viewer.account_id, "upload")
            data = read_upload(image, limit=IMAGE_MAX)
            return avatars.record(platform.store, settings, viewer.account_id, data, source="uploaded").id

        try:
            avatar_id = record()
        except SelfcastError as exc:
            return failed(request, exc, "avatar_error")
        return done(request, "Avatar uploaded.", _avatar_urls(avatar_id), "avatars")

    @router.post("/account/avatars/generate", dependencies=[csrf])
    def generate_avatar(request: Request, prompt: str = Form(""), style: str = Form("photo")) -> Response:
        viewer = portal.viewer(request)
        platform = portal.platform(request)

        def generate() -> str:
            quotas.take(platform.store, settings.quotas, viewer.account_id, "avatar_generate")
            png = avatars.generate_png(settings, prompt=prompt.strip() or None, style=style, seed=None)
            return avatars.record(
                platform.store, settings, viewer.account_id, png, source="generated", prompt=prompt.strip(),
                style=style,
            ).id  # fmt: skip

        try:
            avatar_id = generate()
        except SelfcastError as exc:
            return failed(request, exc, "avatar_error")
        return done(request, "Avatar generated.", _avatar_urls(avatar_id), "avatars")

    def owned_avatar(request: Request, avatar_id: str) -> Path:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            path = Path(avatars.get(db, viewer.account_id, avatar_id).path)
        if not path.exists():
            raise NotFound(f"the image of avatar {avatar_id} is missing on the server")
        return path

    @router.get("/account/avatars/{avatar_id}/image.png")
    def avatar_image(request: Request, avatar_id: str) -> Response:
        return FileResponse(owned_avatar(request, avatar_id), media_type="image/png",
                            headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip

    @router.get("/account/avatars/{avatar_id}/preview.mp4")
    def avatar_preview(request: Request, avatar_id: str) -> Response:
        path = owned_avatar(request, avatar_id)
        with portal.platform(request).store.read() as db:
            voice_id = defaults.get(db, portal.viewer(request).account_id).voice_id or None
        clip = path.with_name(f"{path.stem}.{voice_id or 'idle'}.preview.mp4")
        if not clip.exists():
            media.preview_clip(settings, path, clip, voice_id=voice_id)
        return FileResponse(clip, media_type="video/mp4", headers={"Cache-Control": "private, max-age=3600"})


def _avatar_urls(avatar_id: str) -> dict[str, object]:
    return {
        "avatar_id": avatar_id,
        "image_url": f"/account/avatars/{avatar_id}/image.png",
        "preview_url": f"/account/avatars/{avatar_id}/preview.mp4",
    }
