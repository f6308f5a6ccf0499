#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs Moat's libFuzzer targets (tests/fuzz/): a short deterministic smoke run of each, or a
# longer run of one target that keeps its corpus in $BUILD/fuzz-corpus/. See
# tests/fuzz/README.md.
set -u

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
# Absolute, so that long runs can work in the log directory (-jobs writes fuzz-N.log there).
case $BUILD in
/*) ;;
*) BUILD=$(pwd)/$BUILD ;;
esac
FUZZ_DIR=$BUILD/fuzz
TARGETS="uart config multiboot vlapic decode walk linux"

# Mutations after the seeds in a smoke run, per target: together well under 60 s on 2 cores.
SMOKE_RUNS_uart=300000
SMOKE_RUNS_config=500000
SMOKE_RUNS_multiboot=500000
SMOKE_RUNS_vlapic=300000
SMOKE_RUNS_decode=100000
SMOKE_RUNS_walk=400000
SMOKE_RUNS_linux=200000
# Largest input libFuzzer builds: Multiboot headers may sit anywhere in the first 8 KiB.
MAX_LEN_uart=4096
MAX_LEN_config=8192
MAX_LEN_multiboot=16384
MAX_LEN_vlapic=2048
MAX_LEN_decode=32
# A header and the page tables of a small guest (tests/fuzz/fuzz_walk.c).
MAX_LEN_walk=24576
# The three control bytes and a PVH image's headers and notes (tests/fuzz/fuzz_linux.c).
MAX_LEN_linux=1024

usage() {
	echo "usage: $0 smoke" >&2
	echo "       $0 long TARGET SECONDS [libFuzzer options...]   (TARGET: $TARGETS)" >&2
	exit 2
}

# FUZZ_SKIP_BUILD=1: use the binaries already in $BUILD/fuzz (prebuilt, or hand-built).
build() {
	[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] && return 0
	make -s --no-print-directory -f tests/fuzz/fuzz.mk BUILD="$BUILD" fuzz-build || {
		echo "fuzz: build failed" >&2
		exit 2
	}
}

# Runs one target over its seeds plus a fixed number of seeded mutations. New inputs go to a
# scratch directory (the first corpus argument) so repeated smoke runs stay identical.
smoke_one() {
	name=$1
	eval runs=\$SMOKE_RUNS_$name
	eval max_len=\$MAX_LEN_$name
	scratch=$FUZZ_DIR/smoke/$name
	log=$FUZZ_DIR/logs/fuzz_$name.log
	rm -rf "$scratch"
	mkdir -p "$scratch" "$FUZZ_DIR/logs" "$FUZZ_DIR/artifacts"
	if "$FUZZ_DIR/fuzz_$name" -seed=1 -runs="$runs" -max_len="$max_len" \
		-artifact_prefix="$FUZZ_DIR/artifacts/fuzz_$name-" \
		"$scratch" "$FUZZ_DIR/corpus/$name" >"$log" 2>&1; then
		echo "fuzz_$name: ok"
		return 0
	fi
	echo "fuzz_$name: FAILED (log: $log)"
	grep -m 5 -E 'ERROR|invariant failed|runtime error|Test unit written' "$log" | sed 's/^/  /'
	return 1
}

smoke() {
	failed=0
	build
	for name in $TARGETS; do
		smoke_one "$name" || failed=1
	done
	exit $failed
}

long() {
	[ $# -ge 2 ] || usage
	target=$1
	name=${target#fuzz_}
	seconds=$2
	shift 2
	case " $TARGETS " in
	*" $name "*) ;;
	*) echo "fuzz: unknown target '$target' (known: $TARGETS)" >&2; exit 2 ;;
	esac
	case $seconds in
	'' | *[!0-9]*) echo "fuzz: SECONDS must be a number, got '$seconds'" >&2; exit 2 ;;
	esac
	eval max_len=\$MAX_LEN_$name
	build
	corpus=$BUILD/fuzz-corpus/$name
	mkdir -p "$corpus" "$FUZZ_DIR/artifacts" "$FUZZ_DIR/logs"
	cd "$FUZZ_DIR/logs" || exit 2
	exec "$FUZZ_DIR/fuzz_$name" -max_total_time="$seconds" -max_len="$max_len" \
		-artifact_prefix="$FUZZ_DIR/artifacts/fuzz_$name-" "$@" \
		"$corpus" "$FUZZ_DIR/corpus/$name"
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
smoke) [ $# -eq 0 ] || usage; smoke ;;
long) long "$@" ;;
*) usage ;;
esac
