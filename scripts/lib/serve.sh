# Sourced by the e2e scripts: `serve_dir DIR` serves DIR on a free loopback port in the background, sets
# $port, stops the server when the script exits, and returns once the server answers.
serve_dir() {
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$1" >/dev/null 2>&1 &
  served_by=$!
  trap 'kill "$served_by" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the server for $1 did not answer" >&2
  return 1
}
