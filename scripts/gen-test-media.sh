#!/usr/bin/env bash
# Generates the media fixtures used by the tests (probe, scanner, server).
#
# Every fixture is small (320x240 or less, 2-12 s) and synthetic (lavfi testsrc2 /
# sine), so the whole set is generated in well under a minute on two cores.  The
# script is idempotent: a fixture that already exists is skipped, and each one is
# written to a temporary name first and renamed into place, so an interrupted or
# concurrent run never leaves a half-written file behind that a later run would
# mistake for a good one.
#
# Usage: scripts/gen-test-media.sh OUTDIR
# Needs: ffmpeg with libx264, libx265, libvpx, libopus, libmp3lame (Debian's
#        ffmpeg package has them all).  AV1 is generated only when libsvtav1 or
#        libaom-av1 is available.  perl (Debian: always there) writes the PGS stream.
#
# Adding a fixture: write a `fx_<name>` function that writes "$OUT" (the
# temporary path, already carrying the final extension), then add a
# `make_fixture <file name> fx_<name>` line at the bottom.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
DIR="$1"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

command -v ffmpeg >/dev/null || {
  echo "ffmpeg not found: install it (Debian/Ubuntu: apt-get install ffmpeg)" >&2
  exit 1
}

FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)
# The encoder list, captured once.  (Piping `ffmpeg -encoders` straight into
# `grep -q` is racy under pipefail: grep exits early and ffmpeg dies of SIGPIPE.)
ENCODERS="$(ffmpeg -hide_banner -encoders 2>/dev/null || true)"
has_encoder() { grep -q " $1 " <<<"$ENCODERS"; }
# Inputs: a moving test pattern and a tone.  Sizes are tiny on purpose.
vsrc() { echo "testsrc2=size=${2:-320x240}:rate=${3:-25}:duration=$1"; }
asrc() { echo "sine=frequency=${2:-440}:sample_rate=${3:-48000}:duration=$1"; }
# Video without B-frames (ultrafast) unless a fixture asks for them.
X264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50)
AAC=(-c:a aac -b:a 64k -ac 2)

# Shared subtitle source for the subtitle fixtures.
SRT="$DIR/.subs.srt"
write_srt() {
  [[ -f "$SRT" ]] && return 0
  cat >"$SRT.tmp.$$" <<'EOF'
1
00:00:00,500 --> 00:00:01,500
Hello from Marquee.

2
00:00:02,000 --> 00:00:03,500
Second cue, <i>in italics</i>.
EOF
  mv -f "$SRT.tmp.$$" "$SRT"
}

# ---- good fixtures ---------------------------------------------------------

# H.264 + AAC, ffmpeg's default layout: mdat first, moov at the end.
fx_h264_aac_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" \
    "${X264[@]}" "${AAC[@]}" "$OUT"
}

# Same, with moov moved in front of mdat.
fx_h264_aac_faststart_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" \
    "${X264[@]}" "${AAC[@]}" -movflags +faststart "$OUT"
}

# QuickTime container.
fx_h264_aac_mov() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3)" \
    "${X264[@]}" "${AAC[@]}" "$OUT"
}

# iTunes-style M4V (ipod muxer brand).
fx_h264_aac_m4v() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3)" \
    "${X264[@]}" "${AAC[@]}" -f ipod "$OUT"
}

# x264's default B-frames: ffmpeg writes an edit list to hide the CTS delay.
fx_bframes_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -bf 3 "${AAC[@]}" "$OUT"
}

# A 10 s GOP (one keyframe per 300 frames at 30 fps) over 12 s: 2 keyframes.
fx_gop300_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 12 160x120 30)" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 300 -keyint_min 300 \
    -sc_threshold 0 "$OUT"
}

# Two audio tracks tagged eng and fra.
fx_two_audio_langs_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3 440)" \
    -f lavfi -i "$(asrc 3 660 44100)" \
    -map 0:v -map 1:a -map 2:a "${X264[@]}" "${AAC[@]}" \
    -metadata:s:a:0 language=eng -metadata:s:a:1 language=fra "$OUT"
}

# mov_text (tx3g) subtitle track converted from SRT.
fx_mov_text_mp4() {
  write_srt
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" -i "$SRT" \
    -map 0:v -map 1:a -map 2:s "${X264[@]}" "${AAC[@]}" -c:s mov_text \
    -metadata:s:s:0 language=eng "$OUT"
}

# Fragmented MP4: empty moov, one moof per keyframe.
fx_fragmented_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" \
    "${X264[@]}" -g 25 "${AAC[@]}" \
    -movflags frag_keyframe+empty_moov+default_base_moof "$OUT"
}

# MP3 audio inside MP4, next to H.264.
fx_mp3_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3 440 44100)" \
    "${X264[@]}" -c:a libmp3lame -b:a 96k -ac 2 "$OUT"
}

# Matroska: H.264 + AAC + an SRT and an ASS subtitle track.
fx_h264_aac_subs_mkv() {
  write_srt
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -f lavfi -i "$(asrc 4)" -i "$SRT" -i "$SRT" \
    -map 0:v -map 1:a -map 2:s -map 3:s "${X264[@]}" "${AAC[@]}" \
    -c:s:0 srt -c:s:1 ass \
    -metadata:s:a:0 language=eng -metadata:s:s:0 language=eng \
    -metadata:s:s:1 language=fra -metadata:s:s:1 title="French (styled)" "$OUT"
}

# Matroska: H.264 + WebVTT subtitles (ffmpeg writes them as D_WEBVTT/SUBTITLES).
fx_webvtt_mkv() {
  write_srt
  "${FF[@]}" -f lavfi -i "$(vsrc 4)" -i "$SRT" \
    -map 0:v -map 1:s "${X264[@]}" -c:s webvtt -metadata:s:s:0 language=deu "$OUT"
}

# WebM: VP9 + Opus.
fx_vp9_opus_webm() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3 320x180)" -f lavfi -i "$(asrc 3)" \
    -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k -g 50 \
    -c:a libopus -b:a 64k "$OUT"
}

# Matroska: HEVC + AC-3.
# Matroska: H.264 + 5.1 E-AC-3 (dec3 comes from the first frame's header).
fx_h264_eac3_mkv() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3)" \
    "${X264[@]}" -c:a eac3 -b:a 192k -ac 6 "$OUT"
}

fx_hevc_ac3_mkv() {
  "${FF[@]}" -f lavfi -i "$(vsrc 3)" -f lavfi -i "$(asrc 3)" \
    -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
    -x265-params log-level=error:keyint=50 \
    -c:a ac3 -b:a 128k "$OUT"
}

# Matroska: HEVC + 5.1 AC-3 over 20 s (keyframes every 2 s), long enough to play past 10 s and
# seek: the transcoding tests' title (Debian's Chromium decodes neither codec).
fx_hevc_ac3_20s_mkv() {
  "${FF[@]}" -f lavfi -i "$(vsrc 20)" -f lavfi -i "$(asrc 20)" \
    -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
    -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0 \
    -c:a ac3 -b:a 192k -ac 6 "$OUT"
}

# A PGS (.sup) subtitle stream written byte by byte (ffmpeg encodes no PGS, and no picture
# subtitles from text): an empty display set at 0, then per cue a white box shown from START to
# END s.  Usage: write_sup OUT WIDTH HEIGHT X,Y,W,H,START,END ...
write_sup() {
  perl -e '
    use strict; use warnings;
    my ($out, $vw, $vh, @cues) = @ARGV;
    open(my $f, ">:raw", $out) or die "$out: $!";
    my $n = 0;
    # A segment: "PG", PTS and DTS (90 kHz), type, size, data.
    sub seg { my ($pts, $type, $data) = @_;
      print $f pack("A2 N N C n", "PG", $pts, 0, $type, length $data), $data; }
    # Presentation composition: size, 25 fps, number, state, palette, objects (then theirs).
    sub pcs { my ($pts, $state, @obj) = @_;
      seg($pts, 0x16, pack("n n C n C C C C", $vw, $vh, 0x10, $n++, $state, 0, 0, scalar(@obj) / 4) . (@obj ? pack("n C C n n", @obj[0, 1], 0, @obj[2, 3]) : "")); }
    pcs(0, 0x80); seg(0, 0x80, "");
    for my $cue (@cues) {
      my ($x, $y, $w, $h, $s, $e) = split /,/, $cue;
      my ($on, $off) = (int($s * 90000), int($e * 90000));
      # One run of W pixels of colour 1 per line, then the end of the line.
      my $rle = (pack("C C C C", 0, 0xC0 | ($w >> 8), $w & 0xff, 1) . pack("n", 0)) x $h;
      my $window = pack("C C n n n n", 1, 0, $x, $y, $w, $h);
      pcs($on, 0x80, 0, 0, $x, $y);
      seg($on, 0x17, $window);
      seg($on, 0x14, pack("C C C C C C C", 0, 0, 1, 235, 128, 128, 255));
      seg($on, 0x15, pack("n C C", 0, 0, 0xC0) . substr(pack("N", length($rle) + 4), 1) . pack("n n", $w, $h) . $rle);
      seg($on, 0x80, "");
      pcs($off, 0);
      seg($off, 0x17, $window);
      seg($off, 0x80, "");
    }
    close $f or die "$out: $!";
  ' "$@"
}

# Matroska: 640x480 H.264 + AAC over 8 s with two picture subtitle tracks: PGS (S_HDMV/PGS,
# eng) and the same cues as VobSub (S_VOBSUB, fra; ffmpeg converts picture to picture).  A white
# 400x80 box at the bottom from 0.5 to 3.5 s, at the top from 4 to 7.5 s: the burn-in tests look
# for it in the transcoded video.
fx_image_subs_mkv() {
  local sup="$DIR/.tmp.$$.subs.sup"
  write_sup "$sup" 640 480 120,360,400,80,0.5,3.5 120,40,400,80,4.0,7.5
  # -fix_sub_duration: each VobSub cue ends where the PGS one does (at its clearing set).
  "${FF[@]}" -f lavfi -i "$(vsrc 8 640x480)" -f lavfi -i "$(asrc 8)" -fix_sub_duration -i "$sup" \
    -map 0:v -map 1:a -map 2:s -map 2:s "${X264[@]}" "${AAC[@]}" -c:s:0 copy -c:s:1 dvdsub \
    -metadata:s:s:0 language=eng -metadata:s:s:1 language=fra "$OUT"
  local rc=$?
  rm -f "$sup"
  return $rc
}

# One picture shown for a long time: a white box at the bottom from 1 s to 42 s of a 44 s
# 640x480 video (PGS, eng). A player seeking to 38 s must still see it burnt in, though it
# began more than 30 s earlier.
fx_long_cue_mkv() {
  local sup="$DIR/.tmp.$$.long.sup"
  write_sup "$sup" 640 480 120,360,400,80,1.0,42.0
  "${FF[@]}" -f lavfi -i "$(vsrc 44 640x480)" -fix_sub_duration -i "$sup" \
    -map 0:v -map 1:s "${X264[@]}" -c:s copy -metadata:s:s:0 language=eng "$OUT"
  local rc=$?
  rm -f "$sup"
  return $rc
}

# MP4: the same video and audio with the VobSub track (`mp4s` in a `subp` track), copied.
fx_vobsub_mp4() {
  "${FF[@]}" -i "$DIR/image_subs.mkv" -map 0:v -map 0:a -map 0:s:1 -c copy "$OUT"
}

# A 480-line HEVC + 5.1 AC-3 title for ahead-of-time ladders (480p, 360p and 240p rungs below
# it): 24 s with a keyframe every 2 s, so a 6 s plan has four segments (a player switching
# levels sees the new level from the next segment on).
fx_ladder_480p_24s_mkv() {
  "${FF[@]}" -f lavfi -i "$(vsrc 24 640x480)" -f lavfi -i "$(asrc 24)" \
    -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
    -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0 \
    -c:a ac3 -b:a 192k -ac 6 "$OUT"
}

# Matroska: AV1 (only when an AV1 encoder is built in; see main below).
fx_av1_mkv() {
  local enc=()
  if has_encoder libsvtav1; then
    enc=(-c:v libsvtav1 -preset 12 -g 50)
  else
    enc=(-c:v libaom-av1 -cpu-used 8 -usage realtime -g 50 -b:v 200k)
  fi
  # SVT_LOG=1: SVT-AV1 prints its banner on stderr unless told errors only.
  SVT_LOG=1 "${FF[@]}" -f lavfi -i "$(vsrc 2 320x240)" -f lavfi -i "$(asrc 2)" \
    "${enc[@]}" -pix_fmt yuv420p -c:a libopus -b:a 64k "$OUT"
}

# Matroska, audio only: FLAC.
fx_flac_mkv() {
  "${FF[@]}" -f lavfi -i "$(asrc 3 440 44100)" -c:a flac "$OUT"
}

# ---- bad fixtures ------------------------------------------------------------

# A zero-byte file.
fx_empty_mp4() {
  : >"$OUT"
}

# An MP4 cut short in the middle of its moov (which ffmpeg writes at the end).
fx_truncated_mp4() {
  local src="$DIR/h264_aac.mp4" size
  size=$(stat -c %s "$src")
  head -c $((size - 300)) "$src" >"$OUT"
}

# Bytes that are no media container at all (deterministic: an HTML page).
fx_garbage_mp4() {
  {
    printf '<html><head><title>not a video</title></head><body>\n'
    for i in $(seq 1 200); do printf 'line %d of garbage that is not media\n' "$i"; done
    printf '</body></html>\n'
  } >"$OUT"
}

# A faststart MP4 whose first box inside moov (mvhd) has its size overwritten
# with 0xffffffff, so it claims far more than its parent moov holds.
fx_corrupt_moov_mp4() {
  local src="$DIR/h264_aac_faststart.mp4" off
  cp "$src" "$OUT"
  # Byte offset of the first "moov" fourcc; the child header starts 4 bytes later.
  off=$(grep -obUa 'moov' "$src" | head -n1 | cut -d: -f1)
  printf '\xff\xff\xff\xff' | dd of="$OUT" bs=1 seek=$((off + 4)) conv=notrunc status=none
}

# Tiny library files for the scanner and server tests: 1 s, 64x64, each with its own
# tone so that their bytes (and fingerprints) differ.
tiny() { "${FF[@]}" -f lavfi -i "$(vsrc 1 64x64)" -f lavfi -i "$(asrc 1 "$1")" "${X264[@]}" "${AAC[@]}" -shortest "$OUT"; }
fx_tiny_mp4() { tiny 440; }
fx_tiny_b_mp4() { tiny 523; }
fx_tiny_c_mp4() { tiny 587; }
fx_tiny_d_mp4() { tiny 659; }
fx_tiny_mkv() { tiny 698; }

# ---- packaging fixtures (HLS/DASH) --------------------------------------------

# Keyframes at uneven times (0, 0.7, 3.1, 3.3, 8.9 s) and no others: irregular GOPs.
fx_irregular_kf_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 10)" -f lavfi -i "$(asrc 10)" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 1000 -keyint_min 1000 \
    -sc_threshold 0 -force_key_frames 0,0.7,3.1,3.3,8.9 "${AAC[@]}" "$OUT"
}

# Variable frame rate: frames 30-44 and 80-82 dropped, timestamps kept.
fx_vfr_mp4() {
  "${FF[@]}" -f lavfi -i "$(vsrc 6)" -f lavfi -i "$(asrc 6)" \
    -vf "select='not(between(n\,30\,44))*not(between(n\,80\,82))'" -fps_mode vfr \
    "${X264[@]}" "${AAC[@]}" "$OUT"
}

# 60 fps H.264 with B-frames in Matroska (PTS only: DTS must be derived) + AAC.
fx_h264_60fps_bframes_mkv() {
  "${FF[@]}" -f lavfi -i "$(vsrc 4 320x180 60)" -f lavfi -i "$(asrc 4)" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -bf 3 -g 120 "${AAC[@]}" "$OUT"
}

# ---- extras fixtures (chapters, stills, intro detection) ------------------------

# Chapters written by ffmpeg from an ffmetadata file: Intro, Part One, Credits over 4 s
# (Matroska `Chapters`; MP4 `chpl` plus a QuickTime chapter track).
CHAPTERS="$DIR/.chapters.txt"
write_chapters() {
  [[ -f "$CHAPTERS" ]] && return 0
  printf '%s\n' ';FFMETADATA1' \
    '[CHAPTER]' 'TIMEBASE=1/1000' 'START=0' 'END=1500' 'title=Intro' \
    '[CHAPTER]' 'TIMEBASE=1/1000' 'START=1500' 'END=3000' 'title=Part One' \
    '[CHAPTER]' 'TIMEBASE=1/1000' 'START=3000' 'END=4000' 'title=Credits' \
    >"$CHAPTERS.tmp.$$"
  mv -f "$CHAPTERS.tmp.$$" "$CHAPTERS"
}
chapters() {
  write_chapters
  "${FF[@]}" -f lavfi -i "$(vsrc 4 64x64 10)" -f lavfi -i "$(asrc 4)" -i "$CHAPTERS" \
    -map 0:v -map 1:a -map_chapters 2 "${X264[@]}" "${AAC[@]}" "$OUT"
}
fx_chapters_mkv() { chapters; }
fx_chapters_mp4() { chapters; }

# 10 s that start with 6 s of black: a still must not come from the black part.  704 px wide,
# so that the still is also kept at 320 and 640.
fx_black_start_mp4() {
  "${FF[@]}" -f lavfi -i "color=c=black:s=704x396:r=10:d=6" -f lavfi -i "$(vsrc 4 704x396 10)" \
    -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" "${X264[@]}" -g 20 "$OUT"
}

# Three 24 s episodes of one season for intro and credits detection: white noise of a length
# of its own (PRE s), the same 8 s theme (a tone stepping through a fixed pattern of notes),
# different noise, then the same 4 s ending theme.  The noise differs per episode (its seed).
THEME='aevalsrc=0.5*sin(2*PI*t*(330+110*mod(floor(t*2.5)*3\,7))):d=8:s=48000'
OUTRO='aevalsrc=0.5*sin(2*PI*t*(500+150*mod(floor(t*2.5)*2\,5))):d=4:s=48000'
intro_episode() {
  local pre="$1" seed="$2" middle
  middle=$(awk "BEGIN { print 24 - $pre - 8 - 4 }")
  "${FF[@]}" -f lavfi -i "$(vsrc 24 128x72 10)" \
    -f lavfi -i "anoisesrc=d=$pre:c=white:seed=$seed:a=0.3:r=48000" -f lavfi -i "$THEME" \
    -f lavfi -i "anoisesrc=d=$middle:c=white:seed=$((seed + 1)):a=0.3:r=48000" -f lavfi -i "$OUTRO" \
    -filter_complex "[1:a][2:a][3:a][4:a]concat=n=4:v=0:a=1[a]" -map 0:v -map "[a]" \
    "${X264[@]}" -g 20 "${AAC[@]}" "$OUT"
}
fx_intro_ep1_mkv() { intro_episode 1 11; }
fx_intro_ep2_mkv() { intro_episode 3.5 21; }
fx_intro_ep3_mkv() { intro_episode 5.5 31; }

# ---- driver ------------------------------------------------------------------

# make_fixture FILE FUNC: runs FUNC with OUT set to a temporary path next to FILE,
# then renames it into place.  Skips FILE when it already exists.
make_fixture() {
  local file="$1" func="$2" final ext
  final="$DIR/$file"
  [[ -e "$final" ]] && return 0
  ext="${file##*.}"
  OUT="$DIR/.tmp.$$.$file"
  # Keep the extension last so ffmpeg picks the right muxer.
  OUT="${OUT%.*}.$ext"
  if ! "$func"; then
    rm -f "$OUT"
    echo "failed to generate $file" >&2
    return 1
  fi
  mv -f "$OUT" "$final"
  echo "generated $file"
}

make_fixture h264_aac.mp4 fx_h264_aac_mp4
make_fixture h264_aac_faststart.mp4 fx_h264_aac_faststart_mp4
make_fixture h264_aac.mov fx_h264_aac_mov
make_fixture h264_aac.m4v fx_h264_aac_m4v
make_fixture bframes.mp4 fx_bframes_mp4
make_fixture gop300.mp4 fx_gop300_mp4
make_fixture two_audio_langs.mp4 fx_two_audio_langs_mp4
make_fixture mov_text.mp4 fx_mov_text_mp4
make_fixture fragmented.mp4 fx_fragmented_mp4
make_fixture mp3.mp4 fx_mp3_mp4
make_fixture h264_aac_subs.mkv fx_h264_aac_subs_mkv
make_fixture webvtt.mkv fx_webvtt_mkv
make_fixture vp9_opus.webm fx_vp9_opus_webm
make_fixture hevc_ac3.mkv fx_hevc_ac3_mkv
make_fixture h264_eac3.mkv fx_h264_eac3_mkv
make_fixture hevc_ac3_20s.mkv fx_hevc_ac3_20s_mkv
make_fixture image_subs.mkv fx_image_subs_mkv
make_fixture vobsub.mp4 fx_vobsub_mp4
make_fixture long_cue.mkv fx_long_cue_mkv
make_fixture ladder_480p_24s.mkv fx_ladder_480p_24s_mkv
if has_encoder libsvtav1 || has_encoder libaom-av1; then
  make_fixture av1.mkv fx_av1_mkv
else
  echo "no AV1 encoder in this ffmpeg: skipping av1.mkv" >&2
fi
make_fixture flac.mkv fx_flac_mkv

make_fixture empty.mp4 fx_empty_mp4
make_fixture truncated.mp4 fx_truncated_mp4
make_fixture garbage.mp4 fx_garbage_mp4
make_fixture corrupt_moov.mp4 fx_corrupt_moov_mp4

make_fixture tiny.mp4 fx_tiny_mp4
make_fixture tiny-b.mp4 fx_tiny_b_mp4
make_fixture tiny-c.mp4 fx_tiny_c_mp4
make_fixture tiny-d.mp4 fx_tiny_d_mp4
make_fixture tiny.mkv fx_tiny_mkv
make_fixture irregular_kf.mp4 fx_irregular_kf_mp4
make_fixture vfr.mp4 fx_vfr_mp4
make_fixture h264_60fps_bframes.mkv fx_h264_60fps_bframes_mkv
make_fixture chapters.mkv fx_chapters_mkv
make_fixture chapters.mp4 fx_chapters_mp4
make_fixture black_start.mp4 fx_black_start_mp4
make_fixture intro_ep1.mkv fx_intro_ep1_mkv
make_fixture intro_ep2.mkv fx_intro_ep2_mkv
make_fixture intro_ep3.mkv fx_intro_ep3_mkv
