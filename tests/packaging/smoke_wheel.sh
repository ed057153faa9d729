#!/usr/bin/env bash
# The installed app starts: build the wheel, install it into a fresh venv outside the checkout
# (no system site-packages, so the editable install cannot stand in for it), and run the
# installed `minipyro-studio` from an unrelated folder: the demo, a lesson found through
# resources.examples_dir(), and a gallery screenshot (offscreen Qt).
# Usage: bash tests/packaging/smoke_wheel.sh   (PYTHON=... picks the interpreter; default python3)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/minipyro-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH PYTHONHOME
export QT_QPA_PLATFORM=offscreen

# Each step prints its wall time (on stderr, so a step's own output can be redirected); the
# first failure stops the script with pip's or the app's own message above it.
step() {
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "smoke: $label ($((SECONDS - start)) s)" >&2
}
# pip prints a warning for each configured local index folder that lacks a package.
quiet() { "$@" 2>&1 | { grep -v "is neither a file nor a directory" || true; }; }

# Build from a copy, so the checkout gets no build/ folder and the wheel owes nothing to .git.
mkdir "$work/src" "$work/run" "$work/shots"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=__pycache__ -cf - . | tar -C "$work/src" -xf -
step "wheel built" quiet "$python" -m pip wheel --quiet --no-deps -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/minipyro_studio-*.whl)
echo "smoke: $(basename "$wheel"): $(du -k "$wheel" | cut -f1) KiB"

step "fresh venv" "$python" -m venv "$work/venv"
venv=$work/venv/bin
# Pinned as CI pins (torch's CPU build from this machine's disk); --no-compile: the app
# compiles only what it imports.
step "wheel installed" quiet "$venv/python" -m pip install --quiet --no-compile \
    -c "$repo/constraints.txt" "$wheel"

cd "$work/run"
# Everything comes from the venv, nothing from the checkout.
"$venv/python" - "$repo" <<'PY'
import sys
from pathlib import Path
import gui.views.app, main, minipyro.runner.cli, resources
repo = Path(sys.argv[1]).resolve()
for module in (main, minipyro.runner.cli, gui.views.app, resources):
    path = Path(module.__file__).resolve()
    assert repo not in path.parents, f"{module.__name__} imported from the checkout: {path}"
lessons = sorted(p.name for p in resources.examples_dir().glob("*.py"))
assert "normal_normal.py" in lessons, lessons
print(f"smoke: {len(lessons)} lessons installed in {resources.examples_dir()}")
PY
lessons=$("$venv/python" -c "from resources import examples_dir; print(examples_dir())")

step "demo --steps 50" "$venv/minipyro-studio" demo --steps 50 > "$work/demo.txt"
grep "exact posterior" "$work/demo.txt"
step "run normal_normal.py --svi-steps 5" "$venv/minipyro-studio" run "$lessons/normal_normal.py" \
    --svi-steps 5 > "$work/run.txt"
grep -q "loc" "$work/run.txt"
step "gallery screenshot" "$venv/minipyro-studio" --screenshot "$work/shots/gallery.png"
# A PNG: its signature, and more than a header.
test "$(head -c 8 "$work/shots/gallery.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
test "$(stat -c %s "$work/shots/gallery.png")" -gt 10000
echo "smoke: the installed wheel works"
