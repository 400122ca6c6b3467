"""OpenAI-compatible images: ``POST {url}/images/generations`` (OpenAI, LocalAI, any compatible server).

``url`` is the API base with its version (``https://api.openai.com/v1``); a URL already ending in
``/images/generations`` is taken as it is. ``gpt-image-*`` models always answer base64 and refuse
``response_format``; DALL-E models are asked for ``b64_json``; an answer with a link instead is
downloaded without the key (it points at another host).
"""

from __future__ import annotations

import base64
import binascii
import io

from selfcast.avatar.images.base import ImageProvider
from selfcast.errors import Unavailable

LOOKS = {"cinematic": "cinematic photographic portrait, soft key light, shallow depth of field",
         "anime": "anime style portrait, clean line art, cel shading",
         "3d": "3D animated film character portrait, soft studio lighting"}
PATH = "/images/generations"


class OpenAIImages(ImageProvider):
    vendor = "the images endpoint"

    def _headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def generate(self, prompt: str, style: str) -> bytes:
        body: dict[str, object] = {
            "model": self.model, "n": 1, "size": "1024x1024",
            "prompt": f"{prompt}. Head-and-shoulders, facing the camera, eyes open, mouth closed, centred. "
                      f"{LOOKS[style]}."}
        if self.model.startswith("dall-e"):
            body["response_format"] = "b64_json"
        path = "" if self.http.endpoint.url.rstrip("/").endswith(PATH) else PATH
        response = await self.http.request("POST", path, json=body)
        try:
            answer = response.json()
            item = answer["data"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise Unavailable(f"{self.vendor} answered without an image: {response.text[:120]!r}") from exc
        if item.get("b64_json"):
            try:
                raw = base64.b64decode(item["b64_json"], validate=True)
            except binascii.Error as exc:
                raise Unavailable(f"{self.vendor} sent an image that is not base64") from exc
        elif item.get("url"):
            raw = (await self.http.request("GET", item["url"])).content  # another host: no key goes there
        else:
            raise Unavailable(f"{self.vendor} answered with neither b64_json nor url")
        return _png(raw, self.vendor)


def _png(raw: bytes, vendor: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(io.BytesIO(raw)).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise Unavailable(f"{vendor} returned no usable image ({type(exc).__name__})") from exc
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()
