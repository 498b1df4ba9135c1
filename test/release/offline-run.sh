#!/usr/bin/env bash
# The single executable on a jump host as it may be: no node on PATH, an empty HOME, no network
# (run inside `unshare -n`: only a loopback, brought up here, for the lab). It starts the lab,
# deploys and destroys one instance through the runner, and opens the dashboard under tmux.
# Usage: offline-run.sh EXECUTABLE WORKDIR TMUX_SESSION
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/dashboard.sh"
exe=$1 work=$2 session=$3
ip link set lo up
# A PATH of the few tools this script uses, and no node (the system may well have one).
mkdir -p "$work/bin" "$work/home"
for tool in tmux awk grep sed seq sleep ip; do ln -sf "$(command -v "$tool")" "$work/bin/$tool"; done
export HOME="$work/home" PATH="$work/bin" TERM=xterm-256color RACKPILOT_TIME_SCALE=0 RACKPILOT_ENV_FILE=
cd "$work"
if command -v node >/dev/null; then echo "node is on PATH: $(command -v node)"; exit 1; fi
if ip route get 1.1.1.1 >/dev/null 2>&1; then echo 'a route out exists'; exit 1; fi
echo "step: version $("$exe" --version)"
cleanup() {
  tm kill-server 2>/dev/null || true
  "$exe" runner stop --force >/dev/null 2>&1 || true
}
trap cleanup EXIT
offering=$("$exe" offering ls | awk 'NR == 2 { print $1 }')
template=$("$exe" template ls | awk 'NR == 2 { print $1 }')
network=$("$exe" network ls | awk 'NR == 2 { print $1 }')
echo "step: catalogue $offering $template $network"
"$exe" deploy offline-vm1 --offering "$offering" --template "$template" --network "$network" --yes
"$exe" ls | grep -E '^offline-vm1 ' | sed 's/^/step: listed /'
# Destroying erases the host's disks: the plan wants the host's name, as an operator types it.
host=$("$exe" ls | awk '$1 == "offline-vm1" { print $3 }')
"$exe" destroy offline-vm1 --confirm "$host"
if "$exe" ls | grep -q '^offline-vm1 '; then echo 'offline-vm1 still listed'; exit 1; fi
echo 'step: destroyed'
open_dashboard "$session" "$exe"
