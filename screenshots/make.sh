#!/bin/sh
# The README's screenshots, made again after a change to what the panes draw:
# `vmtui shot` renders the TUI headless and saves Textual's SVG; rsvg-convert (librsvg,
# Debian's librsvg2-bin) turns the ones the README shows as pictures into PNG.
# Run from anywhere, with the project's vmtui on PATH.
set -eu
cd "$(dirname "$0")"

shot() {  # NAME SCENARIO STEP [vmtui shot options]
    name=$1 scenario=$2 step=$3
    shift 3
    vmtui shot "$scenario" --step "$step" -o "$name.svg" "$@" >/dev/null
}

png() {
    rsvg-convert "$1.svg" -o "$1.png"
}

shot tour-stack-write-160x48 tour 7
shot fork-cow-write-160x48 fork-cow 6
png fork-cow-write-160x48
shot numa-interleave-160x48 numa 5
png numa-interleave-160x48
shot swap-out-160x48 swap 3
png swap-out-160x48
shot swap-in-light-160x48 swap 6 --theme light
