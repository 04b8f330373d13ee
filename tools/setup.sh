#!/usr/bin/env bash
# One-time, idempotent setup of everything this project needs on a Debian machine:
#   1. apt: Debian's bazel-bootstrap (Bazel 4.2.3, runs offline), python3-venv, and
#      tmux (//tests:terminal_output_test runs the demo in a tmux pane);
#   2. .venv/ inside the repository, with the pinned requirements.txt and the tests'
#      requirements-test.txt (the object-storage emulators);
#   3. .venv/azurite: npm's Azurite (the Azure Blob emulator of the tests; apt's npm);
#   4. this checkout installed into .venv as an editable package (`pip install -e`,
#      setup.py), so that `.venv/bin/dask scheduler` and `.venv/bin/dask worker`
#      import `inception` from any directory, with no PYTHONPATH, and see every
#      change of the checkout without a reinstall;
#   5. user.bazelrc (ignored by git), pointing Bazel's Python toolchain at .venv.
# A second run checks and returns in seconds. Needs root (or sudo) for apt only.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo}/.venv"
requirements="${repo}/requirements.txt"
test_requirements="${repo}/requirements-test.txt"
stamp="${venv}/.requirements.sha256"

say() { echo "[setup] $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_packages=()
command -v bazel >/dev/null 2>&1 || apt_packages+=(bazel-bootstrap)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
command -v tmux >/dev/null 2>&1 || apt_packages+=(tmux)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
if [ ${#apt_packages[@]} -gt 0 ]; then
  say "apt-get install ${apt_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${apt_packages[@]}" >/dev/null
else
  say "apt packages present (bazel: $(command -v bazel), tmux: $(command -v tmux))"
fi

want="$(cat "${requirements}" "${test_requirements}" | sha256sum | cut -d' ' -f1)"
if [ -x "${venv}/bin/python3" ] && [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want}" ]; then
  say "venv up to date: ${venv}"
else
  if [ ! -x "${venv}/bin/python3" ]; then
    say "creating venv ${venv} with $(command -v python3) ($(python3 --version 2>&1))"
    python3 -m venv "${venv}"
  fi
  say "pip install -r requirements.txt -r requirements-test.txt (first time: a few minutes, ~2 GB)"
  "${venv}/bin/python3" -m pip install -q --disable-pip-version-check --upgrade pip
  "${venv}/bin/python3" -m pip install -q --disable-pip-version-check \
    -r "${requirements}" -r "${test_requirements}"
  "${venv}/bin/python3" -m pip check
  echo "${want}" > "${stamp}"
fi

# Azurite 3.33.0: newer 3.x releases ask for a newer Node than Debian's 20.
azurite_version="3.33.0"
if [ -x "${venv}/azurite/node_modules/.bin/azurite-blob" ]; then
  say "azurite present: ${venv}/azurite"
else
  say "npm install azurite@${azurite_version} into ${venv}/azurite (the Azure tests' emulator)"
  npm install --no-audit --no-fund --silent --prefix "${venv}/azurite" \
    "azurite@${azurite_version}" >/dev/null
fi

# The editable install: done once per checkout (a second run only asks the venv where
# `inception` comes from, from / so that the current directory does not answer).
installed="$(cd / && "${venv}/bin/python3" -c 'import os, inception
print(os.path.realpath(os.path.dirname(inception.__file__)))' 2>/dev/null || true)"
if [ "${installed}" = "$(realpath "${repo}/inception")" ]; then
  say "editable install up to date: inception from ${repo}"
else
  say "pip install -e ${repo} (editable: dask workers import inception from here)"
  "${venv}/bin/python3" -m pip install -q --disable-pip-version-check --no-deps \
    --no-build-isolation -e "${repo}"
  "${venv}/bin/python3" -m pip check
fi

rc_line="common --repo_env=PYTHON_BIN_PATH=${venv}/bin/python3"
if [ "$(cat "${repo}/user.bazelrc" 2>/dev/null)" != "${rc_line}" ]; then
  say "writing user.bazelrc: ${rc_line}"
  echo "${rc_line}" > "${repo}/user.bazelrc.tmp"
  mv "${repo}/user.bazelrc.tmp" "${repo}/user.bazelrc"
else
  say "user.bazelrc up to date"
fi
say "done"
