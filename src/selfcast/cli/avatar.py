"""`selfcast render` and `selfcast generate-avatar`: the avatar engine from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from selfcast.errors import BadInput


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError as exc:
        raise BadInput(f"--size {text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from exc
    return w, h


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render(
        image: Path = typer.Option(..., "--image", help="portrait (JPEG, PNG or WebP)"),
        audio: Path = typer.Option(..., "--audio", help="speech audio (wav, mp3, m4a, ogg, flac...)"),
        out: Path = typer.Option(..., "--out", help="output video (.mp4)"),
        fps: int = typer.Option(25, "--fps", help="frames per second (25 or 30)"),
        size: str = typer.Option("1280x720", "--size", help="WIDTHxHEIGHT"),
        seed: int = typer.Option(0, "--seed", help="seed for blinks, glances and head motion"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    ) -> None:
        """Render a talking-head video of IMAGE speaking AUDIO, with the audio muxed in."""
        from selfcast.avatar.render import render_video
        from selfcast.settings import Settings

        if out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise BadInput(f"--out {out} must end in .mp4")
        settings = Settings()
        res = render_video(image, audio, out, fps=fps, size=_size(size), seed=seed, progress=not quiet,
                           cache_dir=settings.data_dir / "rigs")
        for note in res.notes:
            typer.echo(f"note: {note}", err=True)
        typer.echo(f"{res.path} ({res.frames} frames, {res.duration_s:.1f} s)")

    @app.command("generate-avatar")
    def generate(
        output: Path = typer.Option(..., "--output", "-o", help="PNG file to write"),
        prompt: str = typer.Option(None, "--prompt", help="who to draw, e.g. 'woman, long red hair, glasses'"),
        style: str = typer.Option("cinematic", "--style", help="cinematic | anime | 3d"),
        seed: int = typer.Option(None, "--seed", help="same prompt + seed = same portrait"),
    ) -> None:
        """Generate a portrait avatar from a prompt (procedural, or the configured images endpoint)."""
        from selfcast.avatar.generator import generate_avatar
        from selfcast.settings import Settings

        png = generate_avatar(prompt, style=style, seed=seed, settings=Settings().avatar)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.part")
        tmp.write_bytes(png)
        tmp.replace(output)
        typer.echo(str(output))
