#!/usr/bin/env bash
# Regenerates the demo site's images, video and audio from procedural sources.
#
# Needs ImageMagick 6 (`convert`) and ffmpeg with libvpx-vp9 and libopus
# (Debian: apt-get install -y imagemagick ffmpeg). Output is deterministic for a
# given ImageMagick/ffmpeg build (fixed seeds), though not byte-identical across versions.
# The committed files are what the tests and benchmarks use; this script only
# documents how they were made and lets someone remake them.
#
# Usage: bash demo/scripts/generate-media.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
site="$here/../site"
img="$site/img"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

CONVERT="${CONVERT:-/usr/bin/convert}"
[ -x "$CONVERT" ] || CONVERT=convert
mkdir -p "$img/gallery" "$img/thumbs" "$site/media"

# landscape OUT W H SEED SKY_TOP SKY_BOTTOM LAND_DARK LAND_LIGHT HORIZON_PCT RIDGE_AMP QUALITY [SUN_X_PCT SUN_Y_PCT]
#   A sky gradient with a sun glow and plasma clouds, over fractal terrain
#   whose ridge line is a vertical gradient perturbed by plasma noise, plus film grain.
landscape() {
  local out=$1 w=$2 h=$3 seed=$4 skyTop=$5 skyBot=$6 landDark=$7 landLight=$8 hz=$9 amp=${10} q=${11}
  local sx=${12:-70} sy=${13:-$((hz - 8))}
  local hw=$((w / 2)) hh=$((h / 2))
  local sun_r=$((w / 3))
  local cx=$((w * sx / 100)) cy=$((h * sy / 100))

  # sky + sun glow
  "$CONVERT" -size "${w}x${h}" "gradient:${skyTop}-${skyBot}" \
    \( -size "$((sun_r * 2))x$((sun_r * 2))" radial-gradient:'rgba(255,236,200,0.85)'-'rgba(255,236,200,0)' \) \
    -geometry "+$((cx - sun_r))+$((cy - sun_r))" -compose screen -composite \
    "$tmp/sky.png"
  # clouds: plasma squashed horizontally, screened over the sky
  "$CONVERT" -seed "$seed" -size "$((w / 4))x$((h / 10))" plasma:fractal -colorspace gray \
    -resize "${w}x${h}!" -blur 0x3 -level 45%,95% -evaluate multiply 0.45 \
    "$tmp/sky.png" +swap -compose screen -composite "$tmp/sky.png"

  # ridge mask: gradient (dark top, light bottom) + amp*(plasma-0.5), thresholded
  "$CONVERT" -seed "$((seed + 1))" -size "$((w / 6))x$((h / 6))" plasma:fractal -colorspace gray \
    -resize "${w}x${h}!" "$tmp/ridge.png"
  "$CONVERT" -size "${w}x${h}" gradient:black-white "$tmp/ridge.png" \
    -compose Mathematics -define compose:args="0,${amp},1,-$(awk "BEGIN{print $amp/2}")" -composite \
    -threshold "${hz}%" -blur 0x1.2 "$tmp/mask.png"

  # terrain texture: detailed plasma mapped onto two colours, darker toward the bottom
  "$CONVERT" -seed "$((seed + 2))" -size "${hw}x${hh}" plasma:fractal -colorspace gray -auto-level \
    -resize "${w}x${h}!" -sharpen 0x1.5 +level-colors "${landDark},${landLight}" \
    \( -size "${w}x${h}" gradient:'gray(92%)'-'gray(45%)' \) -compose multiply -composite \
    "$tmp/land.png"

  "$CONVERT" "$tmp/sky.png" "$tmp/land.png" "$tmp/mask.png" -compose over -composite \
    -attenuate 0.35 +noise Gaussian -sampling-factor 4:2:0 -interlace JPEG -strip -quality "$q" "$out"
}

# bokeh OUT W H SEED BG_TOP BG_BOTTOM COUNT QUALITY PALETTE...
#   Out-of-focus lights: many soft discs in the given colours over a dark gradient, with grain.
bokeh() {
  local out=$1 w=$2 h=$3 seed=$4 bgTop=$5 bgBot=$6 count=$7 q=$8
  shift 8
  local palette="$*"
  local draw
  draw=$(awk -v seed="$seed" -v w="$w" -v h="$h" -v n="$count" -v pal="$palette" 'BEGIN {
    srand(seed); k = split(pal, c, " ");
    for (i = 0; i < n; i++) {
      x = int(rand() * w); y = int(h * (0.15 + 0.7 * rand())); r = int(w * (0.01 + 0.05 * rand()));
      printf "fill %s circle %d,%d %d,%d ", c[1 + int(rand() * k)], x, y, x + r, y;
    }
  }')
  "$CONVERT" -size "${w}x${h}" "gradient:${bgTop}-${bgBot}" \
    \( -size "${w}x${h}" xc:none -draw "$draw" -blur 0x$((w / 300)) \) -compose screen -composite \
    \( -seed "$seed" -size "$((w / 4))x$((h / 4))" plasma:fractal -colorspace gray -resize "${w}x${h}!" \
       -level 0%,60% \) -compose multiply -composite \
    -attenuate 0.4 +noise Gaussian -sampling-factor 4:2:0 -interlace JPEG -strip -quality "$q" "$out"
}

# ---- large photos -----------------------------------------------------------------
landscape "$img/harbour-dawn.jpg" 2400 1350 11 '#2d3f6b' '#f2b27a' '#1d3a52' '#7fa3b5' 58 0.10 94 72 48
landscape "$img/ridge-line.jpg"   2000 1333 23 '#5a86b8' '#e9d4b4' '#2f4a2a' '#a9a870' 50 0.45 94 30 35
bokeh     "$img/café terrace.jpg" 1800 1200 37 '#2a1e2c' '#6a3c24' 160 94 \
  'rgba(255,190,90,0.55)' 'rgba(255,140,60,0.5)' 'rgba(255,230,170,0.45)' 'rgba(120,160,255,0.35)'

# responsive variants (srcset) and the WebP source of the hero <picture>
"$CONVERT" "$img/ridge-line.jpg" -resize 800x  -strip -quality 84 "$img/ridge-line-800.jpg"
"$CONVERT" "$img/ridge-line.jpg" -resize 1400x -strip -quality 85 "$img/ridge-line-1400.jpg"
"$CONVERT" "$img/harbour-dawn.jpg" -resize 1600x -strip -quality 88 -define webp:method=5 "$img/harbour-dawn.webp"

# ---- gallery (medium) ---------------------------------------------------------------
g="$img/gallery"
landscape "$g/salt-flats.jpg"        1200 800 41 '#7fa6cf' '#f4efe6' '#b9b3a8' '#f3efe9' 62 0.04 91 50 40
landscape "$g/pine-forest.jpg"       1200 800 43 '#9bb3c4' '#dfe3d6' '#0d2115' '#3f6b3c' 38 0.60 91 20 20
landscape "$g/old-town-rooftops.jpg" 1200 800 47 '#6d8fbf' '#f7c89a' '#5a2b1c' '#c4774a' 45 0.35 91 80 30
landscape "$g/lighthouse-point.jpg"  1200 800 53 '#223a66' '#e98a5c' '#101820' '#3b4e5e' 60 0.16 91 25 50
landscape "$g/river-bend.jpg"        1200 800 59 '#88aacc' '#eef0ea' '#21402a' '#7d9a5a' 52 0.28 91 60 30
landscape "$g/dunes-evening.jpg"     1200 800 61 '#3a2d5c' '#f5a65b' '#6b3a1e' '#e0a15e' 55 0.30 91 55 45
bokeh     "$tmp/night-market.jpg"    1200 800 67 '#0b0d1a' '#2b1830' 110 95 \
  'rgba(255,80,120,0.5)' 'rgba(255,200,80,0.55)' 'rgba(80,200,255,0.45)' 'rgba(255,255,255,0.35)'
"$CONVERT" "$tmp/night-market.jpg" -strip -quality 80 "$g/night-market.webp"
landscape "$tmp/glacier-tongue.jpg"  1200 800 71 '#9ec3e6' '#f2f6fa' '#6f8fa8' '#e6f0f7' 48 0.50 95 35 25
"$CONVERT" "$tmp/glacier-tongue.jpg" -strip -quality 80 "$g/glacier-tongue.webp"

# ---- thumbnails (gallery grid) ------------------------------------------------------
for src in "$g"/*.jpg "$g"/*.webp "$img/harbour-dawn.jpg" "$img/ridge-line.jpg" "$img/café terrace.jpg"; do
  base="$(basename "$src")"
  base="${base%.*}"
  "$CONVERT" "$src" -resize 480x320^ -gravity center -extent 480x320 -strip -quality 88 "$img/thumbs/$base.jpg"
done

# ---- portrait for the about page ----------------------------------------------------
bokeh "$img/author.jpg" 480 480 79 '#3d4a5c' '#1d2430' 40 86 \
  'rgba(255,210,160,0.5)' 'rgba(160,200,255,0.4)'

# ---- route map (PNG): shaded relief with contour lines and a route --------------------
# (the route is drawn as separate segments: IM6 closes the stroke of an unfilled polyline)
route=$(echo "72,488 136,448 192,400 240,360 304,328 376,288 448,240 512,240 576,208 640,168 688,120 724,72" |
  awk '{ for (i = 1; i < NF; i++) printf "line %s %s ", $i, $(i + 1) }')
"$CONVERT" -seed 83 -size 200x140 plasma:fractal -colorspace gray -resize 800x560! -blur 0x2 -auto-level "$tmp/dem.png"
"$CONVERT" "$tmp/dem.png" +level-colors '#3f7f5f,#e8dcb8' \
  \( "$tmp/dem.png" -shade 120x35 -auto-level -level 20%,100% \) -compose overlay -composite \
  \( "$tmp/dem.png" -posterize 10 -morphology edge diamond:1 -threshold 2% -negate +level 55%,100% \) \
  -compose multiply -composite -compose over \
  -stroke '#c0392b' -strokewidth 5 -draw "stroke-linecap round $route" \
  -fill '#c0392b' -stroke white -strokewidth 3 -draw 'circle 72,488 83,488' -draw 'circle 724,72 735,72' \
  -strip -define png:compression-level=9 "PNG24:$img/route-map.png"

# ---- favicon ----------------------------------------------------------------------
"$CONVERT" -size 64x64 radial-gradient:'#f7c27a'-'#c0562b' -strip "PNG24:$img/favicon.png"

# ---- video: 3 s VP9 + Opus WebM, and a poster frame --------------------------------
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30:duration=3" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3" \
  -c:v libvpx-vp9 -b:v 1100k -minrate 900k -maxrate 1300k -deadline good -cpu-used 2 -row-mt 1 -g 30 -pix_fmt yuv420p \
  -c:a libopus -b:a 64k -shortest "$site/media/test-pattern.webm"
ffmpeg -hide_banner -loglevel error -y -ss 1.5 -i "$site/media/test-pattern.webm" -frames:v 1 -q:v 4 "$img/test-pattern-poster.jpg"

# ---- audio: 4 s Opus in Ogg, a soft A-major chord with a fade ------------------------
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "sine=frequency=220:sample_rate=48000:duration=4" \
  -f lavfi -i "sine=frequency=277.18:sample_rate=48000:duration=4" \
  -f lavfi -i "sine=frequency=329.63:sample_rate=48000:duration=4" \
  -filter_complex "[0][1][2]amix=inputs=3,afade=t=in:d=0.3,afade=t=out:st=3.2:d=0.8[a]" -map "[a]" \
  -c:a libopus -b:a 96k "$site/media/harbour-bell.ogg"

du -ab "$site/img" "$site/media" | sort -n
