# Sourced by offline-run.sh and arm64-run.sh (which set $work): the dashboard opened in tmux.
# A tmux server of the script's own: a session of a server already running on the machine would
# run the dashboard in that server's environment (its HOME, a PATH with node) and outside the
# script's network namespace.
tm() { tmux -S "$work/tmux.sock" -f /dev/null "$@"; }

# open_dashboard SESSION COMMAND: prints the first frame that shows a host, then `step: dashboard`;
# fails when none has shown within two minutes.
open_dashboard() {
  local session=$1 command=$2
  tm new-session -d -s "$session" -x 120 -y 36 "$command"
  for _ in $(seq 1 1200); do
    if tm capture-pane -p -t "$session" | grep -q 'r01-n001'; then
      tm capture-pane -p -t "$session" | sed 's/^/frame: /'
      echo 'step: dashboard'
      return 0
    fi
    sleep 0.1
  done
  tm capture-pane -p -t "$session" | sed 's/^/frame: /'
  echo 'the dashboard showed no host'
  return 1
}
