# Shared lifecycle of the development servers of scripts/*-dev.sh: one background
# process, tracked by a pid file, its output in a log. Source this file after setting
# NAME (the prefix of messages), PIDFILE and LOG.

# Exit status 0 when the server runs.
service_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# service_launch COMMAND...: starts COMMAND detached in the background, output to LOG.
service_launch() {
  : > "$LOG"
  nohup "$@" >> "$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  disown
}

# service_await SECONDS READY_COMMAND...: waits until READY_COMMAND succeeds; exits with
# the log's end when the server dies or the time runs out.
service_await() {
  local seconds=$1
  shift
  for _ in $(seq 1 $((seconds * 10))); do
    "$@" && return 0
    if ! service_running; then
      echo "$NAME: the server exited during start-up; its log ($LOG):" >&2
      tail -30 "$LOG" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$NAME: the server did not start within $seconds s; its log ($LOG):" >&2
  tail -30 "$LOG" >&2
  exit 1
}

# service_stop SECONDS: SIGTERM, then SIGKILL when it has not exited after SECONDS.
service_stop() {
  service_running || return 0
  local pid
  pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 $(($1 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  echo "$NAME: stopped" >&2
}
