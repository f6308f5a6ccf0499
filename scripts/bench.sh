#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: boots the bench guest (tests/bench/bench.dts) on each machine and prints
# instructions per exit round trip (hypervisor and guest together), less the loop's own
# cost, in one table. Instruction counts come from the guest's TSC, which counts exactly:
#   svm-qemu   QEMU TCG with -icount shift=7: 128 TSC ticks per instruction
#   vmx-bochs  Bochs corei7_skylake_x, clock: sync=none: 1 tick per instruction
#   svm-bochs  Bochs ryzen, the same (and, unlike TCG, with next-RIP save)
# Usage: bench.sh [MACHINE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
. "$here/qemu-cmd.sh"
machines=("$@")
[ ${#machines[@]} -eq 0 ] && machines=(svm-qemu vmx-bochs svm-bochs)
dir=build/bench
mkdir -p "$dir"

# run_machine MACHINE CONFIG: boots build/bench/CONFIG.dtb, serial log in build/bench/CONFIG/MACHINE
run_machine() {
	local m=$1 config=$2 d=$dir/$2/$1
	mkdir -p "$d"
	scripts/mkimage.sh "$d/esp.img" build/moat.efi "$dir/$config.dtb" build/guests >/dev/null
	case $m in
	svm-qemu)
		qemu_cmd "$d/esp.img" "$d/OVMF_VARS.fd" tcg -icount shift=7 \
			-serial "file:$d/serial.raw"
		timeout 300 "${QEMU_CMD[@]}" >"$d/qemu.out" 2>&1 || true
		echo 128 >"$d/ticks" ;;
	vmx-bochs | svm-bochs)
		local model=corei7_skylake_x
		[ "$m" = svm-bochs ] && model=ryzen
		scripts/bochs-run.sh --model "$model" --image "$d/esp.img" \
			--serial "$d/serial.raw" --log "$d/bochs.log" --timeout 300 >/dev/null 2>&1 || true
		echo 1 >"$d/ticks" ;;
	*) echo "bench: unknown machine $m" >&2; return 1 ;;
	esac
	tr -d '\r' <"$d/serial.raw" >"$d/serial.log"
}

for config in bench switch; do
	dtc -q -I dts -O dtb -o "$dir/$config.dtb" "tests/bench/$config.dts"
	for m in "${machines[@]}"; do run_machine "$m" "$config" & done
	wait
done

for m in "${machines[@]}"; do
	awk -v machine="$m" -v ticks="$(cat "$dir/bench/$m/ticks")" '
	/bench: [a-z]+ rounds=[0-9]+ tsc_delta=[0-9]+/ {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^rounds=/) { split($i, a, "="); rounds = a[2] }
			if ($i ~ /^tsc_delta=/) { split($i, b, "="); delta = b[2] }
		}
		name = $0; sub(/.*bench: /, "", name); sub(/ .*/, "", name)
		per[name] = delta / ticks / rounds
	}
	END {
		if (!("baseline" in per)) { printf "%-10s no results (see build/bench/%s/serial.log)\n", machine, machine; exit 1 }
		printf "%-10s %8.1f %8.1f %10.1f %9.1f\n", machine, per["cpuid"] - per["baseline"],
			per["pio"] - per["baseline"], per["hypercall"] - per["baseline"], per["baseline"]
	}' "$dir/bench/$m/serial.log"
done >"$dir/rows.txt" || true

# Switch cost and Moat's own memory per guest (from the switch and bench runs' logs).
for m in "${machines[@]}"; do
	ticks=$(cat "$dir/bench/$m/ticks")
	switch=$(sed -n 's/.*sched: cpu 0: \([0-9]*\) switches.*, \([0-9]*\) TSC ticks each.*/\1 \2/p' \
		"$dir/switch/$m/serial.log")
	memory=$(sed -n "s/.*guest 'bench': Moat's own memory for it: nested tables \([0-9]*\) B, vCPU control \([0-9]*\) B, guest record \([0-9]*\) B/\1 \2 \3/p" \
		"$dir/bench/$m/serial.log")
	[ -n "$switch" ] || switch="0 0"
	[ -n "$memory" ] || memory="0 0 0"
	set -- $switch $memory
	awk -v m="$m" -v n="$1" -v t="$2" -v k="$ticks" -v nt="$3" -v vc="$4" -v gr="$5" \
		'BEGIN { printf "%-10s %9.0f %9d %14d %10d %10d %8d\n", m, t / k, n, nt, vc, gr, nt + vc + gr }'
done >"$dir/rows2.txt"
{
	echo "instructions per round trip, guest loop cost subtracted"
	printf "%-10s %8s %8s %10s %9s\n" machine cpuid pio hypercall loop
	cat "$dir/rows.txt"
	echo
	echo "guest switch (instructions from one guest's last exit to the next one's entry), and"
	echo "Moat's own memory per guest in bytes (a 16 MiB guest, one vCPU)"
	printf "%-10s %9s %9s %14s %10s %10s %8s\n" machine switch switches nested-tables vcpu-ctl \
		guest-rec total
	cat "$dir/rows2.txt"
} | tee "$dir/results.txt"
! grep -q "no results" "$dir/rows.txt"
