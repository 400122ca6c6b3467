"""Voices and avatars in real Chromium: upload a portrait (progress, then the list), see it
animate in a short preview clip rendered by the avatar engine, get clear errors for files that
are not images or audio, generate a portrait, and clone a voice from a recording."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from tests.portal.helpers import browser_sign_up, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EMAIL = "studio@example.com"
PASSWORD = "studio password 1"


@pytest.fixture(scope="module")
def page(portal, browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    browser_sign_up(pg, portal.url, EMAIL, PASSWORD)
    pg.get_by_role("navigation", name="Developer Account").get_by_role(
        "link", name="Voices & avatars"
    ).click()
    yield pg
    ctx.close()


def test_bad_files_get_clear_errors_and_nothing_is_saved(page, portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_png = tmp_path / "portrait.png"
    fake_png.write_text("this is a text file, not a picture")
    form = page.locator("form[data-upload=avatar]")
    form.get_by_label("Photo").set_input_files(str(fake_png))
    form.get_by_role("button", name="Upload").click()
    error = form.locator(".upload-error")
    error.wait_for(state="visible")
    assert "not a usable image" in error.inner_text() and "PNG or JPEG" in error.inner_text()

    fake_mp3 = tmp_path / "me.mp3"
    fake_mp3.write_bytes(b"ID3 but not really an mp3" * 10)
    voice = page.locator("form[data-upload=voice]")
    voice.get_by_label("Voice name").fill("Me")
    voice.get_by_label("Recording").set_input_files(str(fake_mp3))
    voice.get_by_role("button", name="Clone voice").click()
    verror = voice.locator(".upload-error")
    verror.wait_for(state="visible")
    assert "not a recognised audio or video file" in verror.inner_text() and "use wav, mp3" in verror.inner_text()
    screenshot(page, portal.shots, "media-errors")
    page.reload()
    assert page.locator("ul.avatars li").count() == 0


def test_uploaded_portrait_animates_in_a_preview_clip(page, portal, astronaut_png: Path) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form[data-upload=avatar]")
    form.get_by_label("Photo").set_input_files(str(astronaut_png))
    form.get_by_role("button", name="Upload").click()
    page.locator("ul.avatars li").first.wait_for()  # the page reloads with the new avatar
    item = page.locator("ul.avatars li").first
    assert item.locator("img").evaluate("img => img.complete && img.naturalWidth") == 512
    item.get_by_role("button", name="▶ Animate").click()
    video = item.locator("video")
    page.wait_for_function(
        "li => !li.querySelector('video').hidden || li.querySelector('.preview-status').textContent.includes('failed')",
        arg=item.element_handle(),
        timeout=120_000,
    )
    assert item.locator(".preview-status").inner_text() == "", item.locator(".preview-status").inner_text()
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0.2", arg=video.element_handle(), timeout=30_000
    )
    duration = video.evaluate("v => v.duration")
    assert 1.0 <= duration <= 10.0
    screenshot(page, portal.shots, "media")
    # the clip itself: real H.264 frames that change over time (the face moves)
    clip = page.request.get(
        portal.url + item.get_by_role("button", name="▶ Animate").get_attribute("data-preview")
    )
    assert clip.ok and clip.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(clip.body())) as c:
        frames = [f.to_ndarray(format="gray").astype(np.float32) for f in c.decode(video=0)]
    assert len(frames) >= 25
    motion = max(float(np.abs(frames[i] - frames[0]).mean()) for i in range(1, len(frames)))
    assert motion > 0.3, f"the preview does not move (max mean difference {motion:.3f})"


def test_generated_avatar_appears_in_the_list(page) -> None:  # type: ignore[no-untyped-def]
    before = page.locator("ul.avatars li").count()
    form = page.locator("form[data-upload=generate]")
    form.get_by_label("Describe the face").fill("a friendly engineer with short grey hair")
    form.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('ul.avatars li').length > {before}", timeout=90_000
    )
    assert "generated" in page.locator("ul.avatars li").first.inner_text()


def _long_recording(librivox_dir: Path, out: Path) -> Path:
    """About 20 s of one reader: the LibriVox clips joined."""
    pcm, rate = [], 16000
    for wav_path in sorted(librivox_dir.glob("*.wav")):
        with wave.open(str(wav_path)) as w:
            rate = w.getframerate()
            pcm.append(np.frombuffer(w.readframes(w.getnframes()), "<i2"))
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(pcm).tobytes())
    return out


def test_clone_a_voice_with_progress_then_hear_the_sample(
    page, portal, librivox_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    recording = _long_recording(librivox_dir, tmp_path / "reader.wav")
    form = page.locator("form[data-upload=voice]")
    form.get_by_label("Voice name").fill("Reader <b>one</b>")
    form.get_by_label("Recording").set_input_files(str(recording))
    form.get_by_role("button", name="Clone voice").click()
    status = form.locator(".upload-status")
    status.filter(has_text="Upload").or_(form.locator(".upload-error")).first.wait_for(state="visible")
    page.wait_for_function(  # the new voice in the list, or the form's error (which must not come)
        """() => [...document.querySelectorAll("ul.voices li")].some(li => li.textContent.includes("Reader <b>one</b>"))
              || !document.querySelector("form[data-upload=voice] .upload-error").hidden""",
        timeout=180_000,
    )
    assert form.locator(".upload-error").is_hidden(), form.locator(".upload-error").inner_text()
    item = page.locator("ul.voices li", has_text="Reader <b>one</b>")
    sample = page.request.get(
        portal.url + item.get_by_role("button", name="▶ Hear sample").get_attribute("data-sample")
    )
    assert sample.ok and sample.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(sample.body())) as w:
        seconds = w.getnframes() / w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    assert 1.5 < seconds < 10 and float(np.sqrt(np.mean(pcm**2))) > 0.01
    item.get_by_role("button", name="▶ Hear sample").click()  # plays in the page, no error shown
    page.wait_for_function("() => !document.querySelector('ul.voices button[disabled]')", timeout=60_000)
    assert page.locator(".sample-error").is_hidden()
    screenshot(page, portal.shots, "media-voices")
