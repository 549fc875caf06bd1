#!/usr/bin/env bash
# Set up everything golive and its sandbox need on a fresh Debian machine. Idempotent: each
# step is skipped when already done. Debian packages need root; elsewhere it names them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils)  # the report's print check reads the PDF's text
command -v runuser >/dev/null || need+=(util-linux)
# The image self-test (tests/test_container.py): podman with runc, and debootstrap for a base image.
command -v podman >/dev/null || need+=(podman)
command -v buildah >/dev/null || need+=(buildah)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # Debian may start the packaged services on systemd machines; the sandbox runs its own.
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      systemctl disable --now prometheus prometheus-alertmanager postgresql >/dev/null 2>&1 || true
    fi
  else
    echo "bootstrap: missing system packages: ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.golive-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "bootstrap: installing Python packages (pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -U 'pip>=24' 'setuptools>=70.1'  # builds the wheel offline (tests/test_wheel.py)
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[sandbox]'
  touch "$stamp"
fi
