#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: boots the bench guest under QEMU TCG with -icount shift=7, where the guest's
# TSC advances exactly 128 per instruction executed (guest and Moat together), and prints
# instructions per round trip for each exit kind, less the loop's own cost (the baseline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
. "$here/qemu-cmd.sh"
dir=build/bench
mkdir -p "$dir"
dtc -q -I dts -O dtb -o "$dir/moat.dtb" tests/bench/bench.dts
scripts/mkimage.sh "$dir/esp.img" build/moat.efi "$dir/moat.dtb" build/guests >/dev/null
qemu_cmd "$dir/esp.img" "$dir/OVMF_VARS.fd" tcg -icount shift=7 -serial "file:$dir/serial.raw"
timeout 300 "${QEMU_CMD[@]}" >"$dir/qemu.out" 2>&1 || true
tr -d '\r' <"$dir/serial.raw" >"$dir/serial.log"

awk -v shift_cycles=128 '
/bench: [a-z]+ rounds=[0-9]+ tsc_delta=[0-9]+/ {
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^rounds=/) { split($i, a, "="); rounds = a[2] }
		if ($i ~ /^tsc_delta=/) { split($i, b, "="); delta = b[2] }
	}
	name = $0; sub(/.*bench: /, "", name); sub(/ .*/, "", name)
	per[name] = delta / shift_cycles / rounds; order[++n] = name
}
END {
	if (!n) { print "bench: no results (see build/bench/serial.log)"; exit 1 }
	base = ("baseline" in per) ? per["baseline"] : 0
	printf "%-10s %14s %14s\n", "exit", "instr/round", "minus loop"
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "%-10s %14.1f %14.1f\n", k, per[k], k == "baseline" ? 0 : per[k] - base
	}
}' "$dir/serial.log" | tee "$dir/results.txt"
