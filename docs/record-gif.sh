#!/usr/bin/env bash
# Records docs/demo.gif from the real console by playing demo.tape, the one
# source of the walk, where vhs cannot run (vhs needs ttyd, which Debian 12
# does not package); `vhs demo.tape` records the same walk.
#
# It reads demo.tape's commands (Type, Enter, Escape, Tab, Space, arrows,
# Ctrl+X, Sleep, Hide, Show; Set and Output are for vhs and ignored) and plays
# them into a bash in a tmux pane of the tape's size in cells, capturing the
# screen with its colours (tmux capture-pane -e) once a second while shown.
# Each frame is rendered with aha and headless Chromium and the frames are
# joined with ImageMagick.
# Needs: tmux aha chromium imagemagick fonts-dejavu-core (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
tape=${TAPE:-demo.tape}
out=docs/demo.gif
cols=120 rows=36
work=$(mktemp -d)
trap 'tmux -S "$work/sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
t() { tmux -S "$work/sock" "$@"; }
t new-session -d -s gif -x $cols -y $rows -c "$PWD" \
	-e TERM=xterm-256color -e COLORTERM=truecolor -e PS1='$ ' "bash --norc --noprofile"

shown=1 n=0
shot() { # shot SECONDS: while shown, capture a frame a second for SECONDS
	local end=$(($(date +%s) + $1))
	while :; do
		[ "$shown" = 1 ] && { n=$((n + 1)); t capture-pane -e -p -t gif >"$work/$(printf %05d $n).ans"; }
		sleep 1
		[ "$(date +%s)" -lt "$end" ] || break
	done
}
seconds() { # 12s, 500ms, 1.5s, 2 → seconds (rounded up to whole ones)
	awk -v d="$1" 'BEGIN {
		if (d ~ /ms$/) { sub(/ms$/, "", d); s = d / 1000 } else { sub(/s$/, "", d); s = d + 0 }
		print (s == int(s)) ? s : int(s) + 1 }'
}
key() { # a vhs key name → a tmux one
	case $1 in
	Enter) echo Enter ;; Escape) echo Escape ;; Tab) echo Tab ;; Space) echo Space ;;
	Backspace) echo BSpace ;; Up | Down | Left | Right) echo "$1" ;;
	Ctrl+*) echo "C-$(echo "${1#Ctrl+}" | tr 'A-Z' 'a-z')" ;;
	*) echo "record-gif: $tape: unknown key $1" >&2; exit 2 ;;
	esac
}

while IFS= read -r line || [ -n "$line" ]; do
	line=${line#"${line%%[![:space:]]*}"}
	case $line in
	'' | '#'* | Output* | Set* | Require*) ;;
	Hide) shown=0 ;;
	Show) shown=1 ;;
	Sleep*) shot "$(seconds "${line#Sleep }")" ;;
	Type*)
		text=${line#Type }
		text=${text#\"} text=${text%\"}
		t send-keys -t gif -l "$text" ;;
	*)
		set -- $line
		k=$(key "$1")
		for _ in $(seq "${2:-1}"); do t send-keys -t gif "$k"; done ;;
	esac
done <"$tape"

[ "$n" -gt 0 ] || { echo "record-gif: $tape showed nothing" >&2; exit 1; }
[ -z "${KEEP:-}" ] || cp "$work"/*.ans "$KEEP"/ # the captured frames, to read
for f in "$work"/*.ans; do
	{
		echo '<html><body style="margin:0;background:#1e1e2e"><style>i{font-style:normal;display:inline-block;width:1ch}</style><pre style="font-family:DejaVu Sans Mono,monospace;font-size:13px;line-height:1.2;color:#cdd6f4;margin:8px">'
		# Every non-ASCII character in a cell of its own: the fonts' braille
		# (the charts) and block glyphs have other widths than the cells.
		aha --no-header <"$f" | perl -CSD -pe 's/([^\x00-\x7F])/<i>$1<\/i>/g'
		echo '</pre></body></html>'
	} >"${f%.ans}.html"
	# A fresh profile each time: a lingering browser holding the last one
	# would take the next screenshot over and leave a blank frame.
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$work")" --hide-scrollbars --window-size=1000,600 \
		--screenshot="${f%.ans}.png" "file://${f%.ans}.html" >/dev/null 2>&1
done
/usr/bin/convert -delay 100 -loop 0 "$work"/*.png -layers Optimize "$out"
echo "wrote $out ($n frames, $(du -h "$out" | cut -f1))"
