# Shared helpers for the project's scripts. Source it; do not run it.

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing (apt-get update once per run).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  if [ -z "${MARQUEE_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    export MARQUEE_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Rust toolchain must already be there (rustup); say so clearly if it is not.
need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (https://rustup.rs) and run this again" >&2
    exit 1
  fi
}

# Node.js 20.19+ and npm for the web app; Debian's packages when there is none at all.
need_node() {
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
}

# Builds the web app into web/dist when its sources or lock file are newer than the build.
build_web() {
  need_node
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
    echo "==> npm ci (web)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    touch web/node_modules
  fi
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/public web/package-lock.json -newer web/dist/index.html -print -quit)" ]; then
    echo "==> building the web app"
    (cd web && npm run build --silent)
  fi
}

# The benchmarks' source: a 64 s 1280x720 25 fps H.264 clip (x264 veryfast at KBPS kbit/s, a noisy
# test pattern, a keyframe every 2 s) with 128 kbit/s stereo AAC, encoded once and looped PLAYS
# times without re-encoding in one file inside a movie folder. 64 s is a whole number of video
# and AAC frames, so the joins leave no timestamp gap (checked). Cached in target/bench-media/; a
# half-written file never keeps its final name. Sets LIBRARY (the movie library), SRC and SRC_DESC.
#   bench_source PLAYS KBPS
bench_source() {
  local plays=$1 kbps=$2 dir=target/bench-media clip name
  # The 3 Mbit/s clip keeps the name it had before there were others.
  if [ "$kbps" = 3000 ]; then name=""; else name="-${kbps}k"; fi
  clip="$dir/clip-64s-720p$name.mp4"
  mkdir -p "$dir"
  if [ ! -f "$clip" ]; then
    echo "==> encoding the 64 s clip at $kbps kbit/s (once; cached in $dir)" >&2
    timeout 1800 ffmpeg -hide_banner -v error -nostdin -y \
      -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=64,noise=alls=12:allf=t" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=64" \
      -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
      -b:v "${kbps}k" -maxrate "$((kbps * 7 / 6))k" -bufsize "$((kbps * 2))k" \
      -c:a aac -b:a 128k -ac 2 "$clip.tmp.mp4"
    mv -f "$clip.tmp.mp4" "$clip"
  fi
  LIBRARY="$(realpath "$dir")/library$name-$plays"
  SRC="$LIBRARY/Bench (2024)/Bench (2024).mp4"
  if [ ! -f "$SRC" ]; then
    echo "==> looping the clip $plays times into $SRC" >&2
    mkdir -p "$(dirname "$SRC")"
    timeout 1800 ffmpeg -hide_banner -v error -nostdin -y -stream_loop $((plays - 1)) -i "$clip" \
      -map 0 -c copy -f mp4 "$SRC.tmp"
    local want=$((plays * 64)) got gap
    got=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$SRC.tmp")
    awk -v g="$got" -v w="$want" 'BEGIN {exit !(g > w - 1 && g < w + 1)}' ||
      { echo "the looped source lasts $got s, expected $want s" >&2; return 1; }
    # Timestamps must run on across the joins: no video frame more than 1.5 frames after the last.
    gap=$(ffprobe -v error -select_streams v -show_entries packet=dts_time -of csv=p=0 "$SRC.tmp" |
      awk 'NR > 1 && $1 - p > m {m = $1 - p} {p = $1} END {printf "%.3f", m}')
    awk -v g="$gap" 'BEGIN {exit !(g < 0.06)}' || { echo "the looped source has a $gap s gap" >&2; return 1; }
    mv -f "$SRC.tmp" "$SRC"
  fi
  SRC_DESC="$(ffprobe -v error -show_entries format=duration,size,bit_rate -of csv=p=0 "$SRC" |
    awk -F, '{printf "%.0f s, %.0f MB, %.1f Mbit/s", $1, $2 / 1e6, $3 / 1e6}')"
  echo "source: $SRC ($SRC_DESC; 1280x720 H.264 25 fps, 2 s GOP + AAC stereo)"
}
