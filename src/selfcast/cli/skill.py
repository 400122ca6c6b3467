"""``selfcast skill``: put the bundled ``pikastream-video-meeting`` skill where an agent looks for it.

The skill folder lives at ``skills/pikastream-video-meeting`` in the source tree. A source checkout
or editable install reads it there (always current); a wheel carries a copy as data files under
``<prefix>/share/selfcast/skills/`` (see ``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer

from selfcast.errors import BadInput, Conflict, NotFound

SKILL_NAME = "pikastream-video-meeting"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.part", ".DS_Store")


class Agent(StrEnum):
    claude = "claude"
    openclaw = "openclaw"
    codex = "codex"


def _candidates() -> list[Path]:
    import selfcast

    repo = Path(selfcast.__file__).resolve().parents[2] / "skills" / SKILL_NAME
    prefixes: list[Path] = []
    for scheme in (None, f"{os.name}_user"):
        try:
            data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        if data:
            prefixes.append(Path(data))
    prefixes += [Path(sys.prefix), Path(sys.base_prefix)]
    seen: list[Path] = [repo]
    for p in prefixes:
        c = p / "share" / "selfcast" / "skills" / SKILL_NAME
        if c not in seen:
            seen.append(c)
    return seen


def bundled_skill_dir() -> Path:
    """The skill folder shipped with this selfcast (source tree first, then the installed copy)."""
    for c in _candidates():
        if (c / "SKILL.md").is_file() and (c / "scripts" / "pikastreaming_videomeeting.py").is_file():
            return c
    looked = ", ".join(str(c) for c in _candidates())
    raise NotFound(f"the bundled skill folder was not found (looked in: {looked}); reinstall selfcast.")


def default_skills_root(agent: Agent, workspace: Path | None = None) -> Path:
    """Where each agent looks for user-level skills."""
    home = Path.home()
    if agent is Agent.claude:
        return home / ".claude" / "skills"
    if agent is Agent.openclaw:
        return workspace / "skills" if workspace else home / ".openclaw" / "skills"
    return home / ".agents" / "skills"


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


@dataclass(frozen=True)
class InstallResult:
    path: Path
    changed: bool


def install_skill(root: Path, *, force: bool = False, source: Path | None = None) -> InstallResult:
    """Copies the skill to ``root/pikastream-video-meeting`` atomically (staged, then renamed).

    An existing copy that differs is replaced only with ``force``, so a user's edits are not lost.
    """
    src = source or bundled_skill_dir()
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root} exists and is not a directory; pass --dest with a skills directory.")
    dest = root / SKILL_NAME
    if dest.exists():
        if dest.is_dir() and _same_tree(src, dest):
            return InstallResult(dest, changed=False)
        if not force:
            raise Conflict(f"{dest} already exists and differs from this selfcast's skill; "
                           "pass --force to replace it.")
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{SKILL_NAME}-", dir=root))
    try:
        staged = stage / SKILL_NAME
        shutil.copytree(src, staged, ignore=_IGNORE)
        script = staged / "scripts" / "pikastreaming_videomeeting.py"
        script.chmod(script.stat().st_mode | 0o111)
        old = None
        if dest.exists() or dest.is_symlink():
            old = stage / "previous"
            os.replace(dest, old)
        try:
            os.replace(staged, dest)
        except OSError:
            if old is not None:
                os.replace(old, dest)  # put the previous copy back: nothing half-installed
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return InstallResult(dest, changed=True)


def register(app: typer.Typer) -> None:
    skill = typer.Typer(help="The drop-in pikastream-video-meeting agent skill.", no_args_is_help=True)

    @skill.command("install")
    def install(
        agent: Agent = typer.Option(Agent.claude, "--agent", help="which agent: claude, openclaw or codex"),
        dest: Path | None = typer.Option(None, "--dest", help="skills directory to install into (overrides --agent)"),
        workspace: Path | None = typer.Option(None, "--workspace", help="OpenClaw workspace (installs into WORKSPACE/skills)"),
        force: bool = typer.Option(False, "--force", help="replace an installed copy that differs"),
    ) -> None:
        """Copy the skill where the agent looks for skills."""
        root = (dest or default_skills_root(agent, workspace)).expanduser()
        result = install_skill(root, force=force)
        verb = "installed" if result.changed else "already up to date"
        typer.echo(f"{verb}: {result.path}")
        from selfcast.settings import Settings

        typer.echo(
            "next: python3 -m pip install -r " + str(result.path / "requirements.txt") + "\n"
            "      export PIKA_API_BASE_URL=" + Settings().base_url + "\n"
            "      export PIKA_DEV_KEY=dk_...   # from `selfcast keys create --email you@example.com` or the portal",
            err=True,
        )

    @skill.command("path")
    def path() -> None:
        """Print the folder of the skill bundled with this selfcast."""
        typer.echo(str(bundled_skill_dir()))

    app.add_typer(skill, name="skill")
