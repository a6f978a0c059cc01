#!/usr/bin/env bash
# Regenerates every video and image under demo/library/ with ffmpeg.
#
# The demo videos are synthetic title cards: a slowly turning colour gradient,
# the title and subtitle, a running timecode, and a soft chord progression so
# that audio is audibly playing.  Images (posters, backdrops, episode stills) are
# drawn the same way.  Sidecar metadata (.nfo, .json, .srt) is hand-written and
# is not touched by this script.
#
# Output is deterministic for a given ffmpeg/x264 build: fixed gradient seeds,
# single-threaded x264, bitexact flags and no container metadata.
#
# Usage: scripts/gen-demo-media.sh          (from anywhere in the repo)
# Needs: ffmpeg with libx264, drawtext (libfreetype) and the DejaVu fonts
#        (Debian/Ubuntu: apt-get install ffmpeg fonts-dejavu-core).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB="$ROOT/demo/library"
FONT_DIR="${FONT_DIR:-/usr/share/fonts/truetype/dejavu}"
SANS="$FONT_DIR/DejaVuSans.ttf"
BOLD="$FONT_DIR/DejaVuSans-Bold.ttf"
SERIF="$FONT_DIR/DejaVuSerif-Bold.ttf"
MONO="$FONT_DIR/DejaVuSansMono.ttf"

command -v ffmpeg >/dev/null || { echo "ffmpeg not found" >&2; exit 1; }
for f in "$SANS" "$BOLD" "$SERIF" "$MONO"; do
  [[ -f "$f" ]] || { echo "font not found: $f (set FONT_DIR)" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)
BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
VIDEO=(-c:v libx264 -profile:v high -level:v 3.1 -preset slow -crf 27
       -maxrate 150k -bufsize 300k -pix_fmt yuv420p
       -g 50 -keyint_min 50 -sc_threshold 0 -threads 1)
AUDIO=(-c:a aac -profile:a aac_low -b:a 64k -ar 48000 -ac 2)

# --- filter helpers ---------------------------------------------------------

# Text goes through a file so that no quoting or escaping of titles is needed.
textfile() {
  local f
  f="$TMP/$(printf '%s' "$1" | md5sum | cut -c1-16).txt"
  printf '%s' "$1" >"$f"
  printf '%s' "$f"
}

# txt FONT SIZE Y TEXT [COLOUR]: a horizontally centred drawtext filter.
# Y is an expression without commas or colons (e.g. h*0.3).
txt() {
  local font=$1 size=$2 y=$3 text=$4 colour=${5:-white}
  printf 'drawtext=fontfile=%s:textfile=%s:fontsize=%s:fontcolor=%s:x=(w-text_w)/2:y=%s:shadowcolor=black@0.55:shadowx=2:shadowy=2' \
    "$font" "$(textfile "$text")" "$size" "$colour" "$y"
}

# bg SIZE DURATION C0 C1 SEED: a two-colour gradient that slowly turns.
bg() {
  local size=$1 dur=$2 c0=$3 c1=$4 seed=$5
  local w=${size%x*} h=${size#*x}
  printf 'gradients=s=%s:r=25:d=%s:c0=%s:c1=%s:n=2:x0=0:y0=0:x1=%s:y1=%s:speed=0.006:seed=%s,vignette=angle=PI/4' \
    "$size" "$dur" "$c0" "$c1" "$w" "$h" "$seed"
}

# A rule under the title.
rule() { printf 'drawbox=x=iw*0.35:y=%s:w=iw*0.30:h=2:color=white@0.55:t=fill' "$1"; }

# Chord pad: I-vi-IV-V in A, one chord every 4 s, each swelling in and out (so
# chord changes never click), transposed by KEY (a frequency ratio).
pad() {
  local dur=$1 key=$2
  local sel='st(0,floor(mod(t/4,4)))'
  local r="st(1,$key*if(eq(ld(0),0),220,if(eq(ld(0),1),185,if(eq(ld(0),2),146.83,164.81))))"
  local th="st(2,$key*if(eq(ld(0),0),277.18,if(eq(ld(0),1),220,if(eq(ld(0),2),185,207.65))))"
  local fi="st(3,$key*if(eq(ld(0),0),329.63,if(eq(ld(0),1),277.18,if(eq(ld(0),2),220,246.94))))"
  local env='st(4,sin(PI*mod(t,4)/4))'
  local left="$sel;$r;$th;$fi;$env;ld(4)*(0.17*sin(2*PI*ld(1)*t)+0.13*sin(2*PI*ld(2)*t)+0.10*sin(2*PI*ld(3)*t)+0.04*sin(4*PI*ld(1)*t))"
  local right="$sel;$r;$th;$fi;$env;ld(4)*(0.15*sin(2*PI*ld(1)*t)+0.10*sin(2*PI*ld(2)*t)+0.13*sin(2*PI*ld(3)*t)+0.06*sin(PI*ld(1)*t))"
  local out
  out=$(awk "BEGIN{print $dur-1}")
  printf "aevalsrc='%s|%s':c=stereo:s=48000:d=%s,afade=t=in:d=0.5,afade=t=out:st=%s:d=1" \
    "$left" "$right" "$dur" "$out"
}

# clip OUT DURATION C0 C1 SEED KEY TITLE SUBTITLE LINE3 [KEY2]
# With KEY2, the clip has two audio tracks, English (KEY) and Spanish (KEY2, 32 kbit/s), so the
# players' audio menus have something to switch between.
clip() {
  local out=$1 dur=$2 c0=$3 c1=$4 seed=$5 key=$6 title=$7 sub=$8 line3=$9 key2=${10:-}
  local second=()
  if [[ -n "$key2" ]]; then
    second=(-f lavfi -i "$(pad "$dur" "$key2")")
  fi
  local fade_out
  fade_out=$(awk "BEGIN{print $dur-1}")
  local vf
  vf="$(bg 640x360 "$dur" "$c0" "$c1" "$seed")"
  vf+=",$(txt "$BOLD" 40 'h*0.27' "$title")"
  vf+=",$(rule 'ih*0.43')"
  vf+=",$(txt "$SERIF" 26 'h*0.48' "$sub")"
  vf+=",$(txt "$SANS" 17 'h*0.61' "$line3" 'white@0.85')"
  vf+=",$(txt "$SANS" 12 'h-30' 'Marquee demo - synthetic title card' 'white@0.6')"
  vf+=",drawtext=fontfile=$MONO:timecode='00\:00\:00\:00':timecode_rate=25:fontsize=15:fontcolor=white@0.85:x=w-text_w-14:y=14:box=1:boxcolor=black@0.35:boxborderw=5"
  vf+=",fade=t=in:st=0:d=1,fade=t=out:st=$fade_out:d=1,format=yuv420p"
  mkdir -p "$(dirname "$out")"
  local maps=(-map 0:v:0 -map 1:a:0)
  if [[ -n "$key2" ]]; then
    maps+=(-map 2:a:0 -b:a:1 32k -metadata:s:a:0 language=eng -metadata:s:a:1 language=spa)
  fi
  "${FF[@]}" -f lavfi -i "$vf" -f lavfi -i "$(pad "$dur" "$key")" "${second[@]}" -t "$dur" \
    "${VIDEO[@]}" "${AUDIO[@]}" "${maps[@]}" "${BITEXACT[@]}" \
    -movflags +faststart "$out"
  echo "  $(realpath --relative-to="$ROOT" "$out")"
}

# still OUT SIZE C0 C1 SEED FILTERS...: one JPEG frame with extra filters.
still() {
  local out=$1 size=$2 c0=$3 c1=$4 seed=$5
  shift 5
  local vf
  vf="$(bg "$size" 1 "$c0" "$c1" "$seed")"
  local f
  for f in "$@"; do vf+=",$f"; done
  vf+=",format=yuvj420p"
  mkdir -p "$(dirname "$out")"
  "${FF[@]}" -f lavfi -i "$vf" -frames:v 1 -c:v mjpeg -q:v 4 "${BITEXACT[@]}" -update 1 "$out"
  echo "  $(realpath --relative-to="$ROOT" "$out")"
}

# poster OUT C0 C1 SEED LINE1 LINE2 LINE3 CREDIT FOOT: 400x600 key art.
poster() {
  local out=$1 c0=$2 c1=$3 seed=$4 l1=$5 l2=$6 l3=$7 credit=$8 foot=$9
  still "$out" 400x600 "$c0" "$c1" "$seed" \
    "$(txt "$BOLD" 46 'h*0.20' "$l1")" \
    "$(txt "$BOLD" 46 'h*0.30' "$l2")" \
    "$(rule 'ih*0.43')" \
    "$(txt "$SERIF" 19 'h*0.47' "$l3")" \
    "$(txt "$SANS" 17 'h*0.80' "$credit" 'white@0.9')" \
    "$(txt "$SANS" 14 'h*0.86' "$foot" 'white@0.75')" \
    "$(txt "$SANS" 11 'h-24' 'Marquee demo artwork' 'white@0.5')"
}

# --- The Defiant Ones (2017) ------------------------------------------------

SHOW="$LIB/Shows/The Defiant Ones (2017)"
SEASON="$SHOW/Season 01"
NAVY=0x141b3c
echo "The Defiant Ones (2017)"

poster "$SHOW/poster.jpg" "$NAVY" 0x9b1b30 11 \
  "THE DEFIANT" "ONES" "Dr. Dre and Jimmy Iovine" \
  "Directed by Allen Hughes" "A documentary series in four parts - 2017"
poster "$SHOW/season01-poster.jpg" 0x23123a 0xb3541e 12 \
  "THE DEFIANT" "ONES" "Season 1" \
  "Parts One to Four" "July 2017"
still "$SHOW/fanart.jpg" 1280x720 "$NAVY" 0x9b1b30 13 \
  "$(txt "$BOLD" 96 'h*0.40' 'THE DEFIANT ONES' 'white@0.22')"

part=(One Two Three Four)
colour0=(0x141b3c 0x2a0f3d 0x0f2d2b 0x3a1c0c)
colour1=(0x9b1b30 0xc2642a 0x2f7f9c 0xb8912c)
key=(1 0.8909 1.1225 0.9439)
for i in 0 1 2 3; do
  n=$((i + 1))
  base="$SEASON/The Defiant Ones - S01E0$n - Part ${part[$i]}"
  # Part One also has a Spanish audio track (and English and Spanish sidecar subtitles).
  clip "$base.mp4" 30 "${colour0[$i]}" "${colour1[$i]}" $((20 + n)) "${key[$i]}" \
    "THE DEFIANT ONES" "Part ${part[$i]}" "Season 1 - Episode $n" "$([[ $n == 1 ]] && echo 1.4983)"
  still "$base-thumb.jpg" 640x360 "${colour0[$i]}" "${colour1[$i]}" $((20 + n)) \
    "$(txt "$BOLD" 40 'h*0.27' 'THE DEFIANT ONES')" \
    "$(rule 'ih*0.43')" \
    "$(txt "$SERIF" 26 'h*0.48' "Part ${part[$i]}")" \
    "$(txt "$SANS" 17 'h*0.61' "Season 1 - Episode $n" 'white@0.85')"
done

# --- Short films ------------------------------------------------------------

film() { # DIR-NAME C0 C1 SEED KEY TITLE1 TITLE2 TAGLINE CREDIT FOOT CARD-LINE
  local name=$1 c0=$2 c1=$3 seed=$4 k=$5 t1=$6 t2=$7 tag=$8 credit=$9 foot=${10} line=${11}
  local dir="$LIB/Movies/$name"
  echo "$name"
  poster "$dir/poster.jpg" "$c0" "$c1" "$seed" "$t1" "$t2" "$tag" "$credit" "$foot"
  clip "$dir/$name.mp4" 15 "$c0" "$c1" "$seed" "$k" "$(printf '%s %s' "$t1" "$t2" | sed 's/^ *//')" "$tag" "$line"
}

film "The Long Tide (2021)" 0x0b2f3a 0x3fa39b 31 1.0595 \
  "THE LONG" "TIDE" "Twelve hours on the mudflats" \
  "A film by Maren Holtby" "Rated G - 2021" "A short film - 2021"
clip "$LIB/Movies/The Long Tide (2021)/trailers/The Long Tide (2021)-trailer.mp4" 5 \
  0x0b2f3a 0x3fa39b 32 1.0595 "THE LONG TIDE" "Trailer" "In the Marquee demo library"

film "Paper Orbits (2022)" 0x2b0f4c 0xe0719c 41 1.3348 \
  "PAPER" "ORBITS" "Shapes that will not sit still" \
  "A film by Tomasz Wierzbicki-Lund" "Rated PG - 2022" "An animated short - 2022"

film "Harbor Lights (2023)" 0x07090f 0x8a5a12 51 0.7937 \
  "HARBOR" "LIGHTS" "One night, one city, one last fare" \
  "A film by Odile Brennan-Sato" "Rated R - 2023" "A short film - 2023"

echo "done: $(du -sh "$LIB" | cut -f1) in $(realpath --relative-to="$ROOT" "$LIB")"
