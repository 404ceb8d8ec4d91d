#!/usr/bin/env bash
# Builds albmtls and decode-only with profile-guided optimisation (PGO), to measure what
# it would give. Since the parser builds its errors in a cold function it gives nothing
# measurable (docs/performance.md, "No profile-guided build"), so releases use the plain
# build.
#
#   benches/pgo.sh          -> target/pgo/release/albmtls, target/pgo/release/decode-only
#
# An instrumented build reads a training corpus: generated with its own seed, so it is not
# the corpus compare.sh measures. It runs the report, grep and decode-only. LLVM then
# compiles the release build again, laying out and inlining by what that run counted.
# Takes ~8 minutes on 2 cores. Needs llvm-profdata from the same LLVM as rustc:
# `rustup component add llvm-tools`.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFDATA=$(find "$(rustc --print sysroot)/lib/rustlib" -name llvm-profdata -type f 2>/dev/null | head -1)
if [ -z "$PROFDATA" ]; then
    echo "pgo.sh: llvm-profdata is missing; install it with: rustup component add llvm-tools" >&2
    exit 2
fi

WORK=$PWD/target/pgo
TRAINING=benches/corpus/pgo-training
PACKAGES=(-p albmtls -p albmtls-benches)

cargo build --release --locked -p albmtls-corpus --bins
if [ ! -f "$TRAINING/truth.json" ]; then
    target/release/albmtls-corpus --out "$TRAINING" --files 8 --lines 20000 --level 6 --seed 20261124 --no-other-logs
fi

rm -rf "$WORK/profiles"
mkdir -p "$WORK/profiles"
RUSTFLAGS="-Cprofile-generate=$WORK/profiles" CARGO_TARGET_DIR="$WORK/instrumented" \
    cargo build --release --locked "${PACKAGES[@]}" --bins
# Build scripts ran instrumented too; only the runs below describe albmtls' own work.
rm -rf "$WORK/profiles"
mkdir -p "$WORK/profiles"

RUN=$WORK/instrumented/release
"$RUN/albmtls" report --format json "$TRAINING" >/dev/null
"$RUN/albmtls" report "$TRAINING" >/dev/null
"$RUN/albmtls" grep --failed "$TRAINING" >/dev/null
"$RUN/albmtls" grep --count --status failed "$TRAINING" >/dev/null
CLIENT=$("$RUN/albmtls" grep --failed "$TRAINING" | awk '$2 ~ /^[0-9.]+$/ { print $2; exit }')
"$RUN/albmtls" grep --ip "$CLIENT" --status failed "$TRAINING" >/dev/null
"$RUN/decode-only" "$TRAINING" >/dev/null

"$PROFDATA" merge -o "$WORK/merged.profdata" "$WORK/profiles"
# Cargo does not look inside the profile, only at RUSTFLAGS: naming the profile by its
# content makes a new profile rebuild everything that uses it.
PROFILE=$WORK/albmtls-$(sha256sum "$WORK/merged.profdata" | cut -c1-16).profdata
mv "$WORK/merged.profdata" "$PROFILE"
RUSTFLAGS="-Cprofile-use=$PROFILE" CARGO_TARGET_DIR="$WORK" \
    cargo build --release --locked "${PACKAGES[@]}" --bins
echo "pgo.sh: built $WORK/release/albmtls and $WORK/release/decode-only"
