#!/usr/bin/env bash
# The linux-arm64 single executable, run on this x64 machine under QEMU's user-mode emulation
# (Debian's qemu-user; the arm64 C and C++ libraries from libc6-arm64-cross and
# libstdc++6-arm64-cross) as on a jump host: no node on PATH, an empty HOME, no network (run inside
# `unshare -n`: only a loopback, brought up here, for the lab).
# Every arm64 process runs under qemu-aarch64 by name: without a binfmt_misc handler (a setting of
# the whole machine, left alone here) an arm64 program cannot start another one, so the runner a
# command would start as itself is started here first, under qemu, and the commands find it.
# Usage: arm64-run.sh EXECUTABLE SYSROOT WORKDIR TEMPLATE NETWORK TMUX_SESSION
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/dashboard.sh"
exe=$1 sysroot=$2 work=$3 template=$4 network=$5 session=$6
ip link set lo up
mkdir -p "$work/bin" "$work/home"
for tool in qemu-aarch64 tmux awk grep sed seq sleep ip; do ln -sf "$(command -v "$tool")" "$work/bin/$tool"; done
export HOME="$work/home" PATH="$work/bin" TERM=xterm-256color RACKPILOT_TIME_SCALE=0 RACKPILOT_ENV_FILE=
cd "$work"
if command -v node >/dev/null; then echo "node is on PATH: $(command -v node)"; exit 1; fi
if ip route get 1.1.1.1 >/dev/null 2>&1; then echo 'a route out exists'; exit 1; fi
rp() { qemu-aarch64 -L "$sysroot" "$exe" "$@"; }

echo "step: version $(rp --version)"
rp help >"$work/help.txt"
grep -q '^usage: rackpilot' "$work/help.txt"
echo 'step: help'

# Not through rp: $! must be qemu itself, not a subshell running the function.
qemu-aarch64 -L "$sysroot" "$exe" runner serve >"$work/runner.log" 2>&1 &
runner=$!
# The runner stops on SIGTERM as on `runner stop` (qemu passes the signal on), and is killed if not.
cleanup() {
  tm kill-server 2>/dev/null || true
  kill "$runner" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 1500); do
  grep -q ' serving lab ' "$work/runner.log" && break
  if ! kill -0 "$runner" 2>/dev/null; then sed 's/^/runner: /' "$work/runner.log"; exit 1; fi
  sleep 0.1
done
grep ' serving lab ' "$work/runner.log" | sed 's/^/step: runner /'

rp check | sed 's/^/check: /'
offering=$(rp offering ls | awk 'NR == 2 { print $1 }')
rp deploy arm-vm1 --offering "$offering" --template "$template" --network "$network" --yes >"$work/deploy.txt" 2>&1 ||
  { sed 's/^/deploy: /' "$work/deploy.txt"; exit 1; }
listing=$(rp ls)
grep -E '^arm-vm1 ' <<<"$listing" | sed 's/^/step: listed /'
host=$(awk '$1 == "arm-vm1" { print $3 }' <<<"$listing")
rp destroy arm-vm1 --confirm "$host" >"$work/destroy.txt" 2>&1 || { sed 's/^/destroy: /' "$work/destroy.txt"; exit 1; }
if rp ls | grep -q '^arm-vm1 '; then echo 'arm-vm1 still listed'; exit 1; fi
echo 'step: destroyed'

open_dashboard "$session" "qemu-aarch64 -L $sysroot $exe"
