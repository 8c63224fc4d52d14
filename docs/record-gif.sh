#!/usr/bin/env bash
# Records docs/demo.gif from the real console: runs `vigil demo` in tmux,
# plays the key sequence of demo.tape, captures the screen with its colours
# (tmux capture-pane -e), renders each frame with aha + headless Chromium and
# joins them with ImageMagick. Use it where vhs cannot run (vhs needs ttyd,
# which Debian 12 does not package); `vhs demo.tape` gives the same walk.
# Needs: tmux aha chromium imagemagick (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'tmux -S "$work/sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/vigil" ./cmd/vigil
t() { tmux -S "$work/sock" "$@"; }
t new-session -d -s gif -x 120 -y 36 -e TERM=xterm-256color -e COLORTERM=truecolor \
	"$work/vigil demo --speed 10 --seed 3 --log-file $work/vigil.log; sleep 60"
n=0
shot() { # shot SECONDS: capture a frame every second for SECONDS
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		n=$((n + 1))
		t capture-pane -e -p -t gif > "$work/$(printf %04d $n).ans"
		sleep 1
	done
}
sleep 2
shot 10          # the overview fills in
t send-keys -t gif f; shot 3; t send-keys -t gif f
t send-keys -t gif 2; shot 4      # GPUs
t send-keys -t gif 5; shot 6      # drift: the price feature lights up
t send-keys -t gif 6; shot 3      # logs
t send-keys -t gif 7; shot 3      # traces
t send-keys -t gif 1; shot 1
t send-keys -t gif '?'; shot 3    # help
t send-keys -t gif Escape; shot 1
for f in "$work"/*.ans; do
	{
		echo '<html><body style="margin:0;background:#1e1e2e"><pre style="font-family:DejaVu Sans Mono,monospace;font-size:13px;line-height:1.2;color:#cdd6f4;margin:8px">'
		aha --no-header < "$f"
		echo '</pre></body></html>'
	} > "${f%.ans}.html"
	# A fresh profile each time: a lingering browser holding the last one
	# would take the next screenshot over and leave a blank frame.
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$work")" --hide-scrollbars --window-size=1000,600 \
		--screenshot="${f%.ans}.png" "file://${f%.ans}.html" >/dev/null 2>&1
done
/usr/bin/convert -delay 100 -loop 0 "$work"/*.png -layers Optimize docs/demo.gif
echo "wrote docs/demo.gif ($(du -h docs/demo.gif | cut -f1))"
