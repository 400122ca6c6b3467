"""SKILL.md follows the agent-skills spec, by our own small validator and by the reference one."""

from __future__ import annotations

import re

import yaml

from tests.skill.conftest import SKILL_DIR

ALLOWED = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


def split_frontmatter(text: str) -> tuple[str, str]:
    if not text.startswith("---\n"):
        raise ValueError("SKILL.md must start with a '---' frontmatter block")
    end = text.index("\n---\n", 4)
    return text[4:end], text[end + 5:]


def validate_skill(skill_dir) -> list[str]:
    """The frontmatter rules of the spec (pika-contract.md) as a list of problems; empty means valid."""
    problems: list[str] = []
    text = (skill_dir / "SKILL.md").read_text(encoding="utf-8")
    try:
        raw, body = split_frontmatter(text)
    except ValueError as exc:
        return [str(exc)]
    for n, line in enumerate(raw.splitlines(), 1):
        value = line.split(":", 1)[1].strip() if ":" in line else line.strip()
        if value.startswith(("[", "{")) or re.match(r"^\s*-\s*[\[{]", line):
            problems.append(f"frontmatter line {n} uses a flow-style collection; use block style: {line.strip()}")
    meta = yaml.safe_load(raw)
    if not isinstance(meta, dict):
        return [*problems, "frontmatter is not a mapping"]
    if extra := set(meta) - ALLOWED:
        problems.append(f"unexpected frontmatter fields: {sorted(extra)}")
    name = meta.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) or len(name) > 64:
        problems.append(f"name {name!r} must be lowercase letters, digits and single hyphens, at most 64 chars")
    if name != skill_dir.name:
        problems.append(f"name {name!r} must equal the folder name {skill_dir.name!r}")
    desc = meta.get("description")
    if not isinstance(desc, str) or not desc.strip():
        problems.append("description is required")
    elif len(desc) > 1024:
        problems.append(f"description is {len(desc)} chars; at most 1024")
    elif not re.search(r"\bUse when\b", desc):
        problems.append("description must say when to use the skill ('Use when ...')")
    if "compatibility" in meta and (not isinstance(meta["compatibility"], str) or len(meta["compatibility"]) > 500):
        problems.append("compatibility must be a string of at most 500 chars")
    if "metadata" in meta:
        def leaves(obj, path="metadata"):
            if isinstance(obj, dict):
                for k, v in obj.items():
                    yield from leaves(v, f"{path}.{k}")
            elif isinstance(obj, list):
                for i, v in enumerate(obj):
                    yield from leaves(v, f"{path}[{i}]")
            else:
                yield path, obj
        if not isinstance(meta["metadata"], dict):
            problems.append("metadata must be a mapping")
        for path, leaf in leaves(meta["metadata"]):
            if not isinstance(leaf, str):
                problems.append(f"{path} must be a string (quote it), got {type(leaf).__name__}")
    if len(body.splitlines()) >= 500:
        problems.append(f"body has {len(body.splitlines())} lines; keep it under 500")
    return problems


def test_our_skill_passes_the_frontmatter_rules() -> None:
    assert validate_skill(SKILL_DIR) == []


def test_the_validator_catches_each_broken_rule(tmp_path) -> None:
    good = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")

    def check(folder: str, text: str) -> list[str]:
        d = tmp_path / folder
        d.mkdir(exist_ok=True)
        (d / "SKILL.md").write_text(text, encoding="utf-8")
        return validate_skill(d)

    assert any("folder name" in p for p in check("other-name", good))
    flow = good.replace("      env:\n        - PIKA_DEV_KEY\n", '      env: ["PIKA_DEV_KEY"]\n')
    assert any("flow-style" in p for p in check("pikastream-video-meeting", flow))
    long_desc = re.sub(r"description: >-\n(  .*\n)+", "description: " + "x" * 1100 + "\n", good)
    assert any("1024" in p for p in check("pikastream-video-meeting", long_desc))
    assert any("unexpected" in p for p in check("pikastream-video-meeting", good.replace("license:", "licence:")))
    assert any("500" in p for p in check("pikastream-video-meeting", good + "line\n" * 500))
    assert any("name" in p for p in check("Bad_Name", good.replace("name: pikastream-video-meeting", "name: Bad_Name")))


def test_the_reference_validator_accepts_it() -> None:
    from skills_ref import validator

    assert validator.validate(SKILL_DIR) == []


def test_the_body_covers_triggers_workflow_and_self_location() -> None:
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(split_frontmatter(text)[0])
    for trigger in ("Google Meet", "Zoom", "Teams", "Jitsi", "selfcast room", "join my meeting"):
        assert trigger in meta["description"]
    for anchor in ("${CLAUDE_SKILL_DIR}", "{baseDir}", "identity/videomeeting-avatar.png", "life/voice_id.txt",
                   "selfcast context build", "Never invent facts", "Known facts", "Right now", "People",
                   "generate-avatar", "clone-voice", "--system-prompt-file", "leave --session-id",
                   "notes --session-id", "checkout_url", "--no-wait-for-payment", "--max-duration-sec",
                   "requirements.txt"):
        assert anchor in text, anchor
    assert meta["metadata"]["openclaw"]["requires"]["env"] == ["PIKA_DEV_KEY"]
    assert meta["metadata"]["openclaw"]["primaryEnv"] == "PIKA_DEV_KEY"


def test_the_skill_folder_has_only_the_drop_in_files() -> None:
    files = sorted(str(p.relative_to(SKILL_DIR)) for p in SKILL_DIR.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    assert files == ["SKILL.md", "assets/placeholder-avatar.jpg", "requirements.txt",
                     "scripts/pikastreaming_videomeeting.py"]
    reqs = [ln for ln in (SKILL_DIR / "requirements.txt").read_text().splitlines() if ln.strip()]
    assert len(reqs) == 1 and reqs[0].startswith("requests")


def test_the_placeholder_is_a_real_portrait() -> None:
    from PIL import Image

    with Image.open(SKILL_DIR / "assets" / "placeholder-avatar.jpg") as im:
        assert im.format == "JPEG" and im.size == (512, 512) and im.mode == "RGB"
        # a photo, not a flat fill: plenty of distinct colours
        assert len(im.getcolors(maxcolors=1 << 20) or []) > 10000


def _script_parser():
    import importlib.util

    from tests.skill.conftest import SCRIPT

    spec = importlib.util.spec_from_file_location("pikastreaming_videomeeting_md", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_parser()


def test_every_command_line_in_skill_md_is_accepted_by_the_script() -> None:
    """The agent copies these lines: each subcommand and flag they name must exist in the script."""
    import argparse

    parser = _script_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    joined = text.replace("\\\n", " ")
    commands = re.findall(r"python3 SCRIPT ([a-z-]+)([^`\n]*)", joined)
    assert {c for c, _ in commands} >= {"join", "leave", "status", "notes", "generate-avatar", "clone-voice"}
    for sub, rest in commands:
        assert sub in subs, sub
        known = {opt for a in subs[sub]._actions for opt in a.option_strings}
        for flag in re.findall(r"(--[a-z][a-z-]*)", rest):
            assert flag in known, f"SKILL.md uses `{sub} {flag}`, which the script does not accept"


def test_the_card_command_named_in_skill_md_works(tmp_path) -> None:
    """SKILL.md tells agents to run `selfcast context build . --out FILE` when selfcast is installed."""
    import subprocess
    import sys

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "README.md").write_text("# Parser rewrite\n\nAda is rewriting the config parser for the 2.0 release.\n")
    out = tmp_path / "card.md"
    proc = subprocess.run([sys.executable, "-m", "selfcast.cli.main", "context", "build", str(ws), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and out.stat().st_size > 0
    assert "selfcast context build . --out" in (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
