#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot tests: each tests/boot/NAME.dts is a configuration booted on an emulated machine;
# tests/boot/NAME.expect says what Moat's serial output must (+ REGEX) and must not
# (- REGEX) contain; "~ MACHINE: reason" skips a machine that cannot run the test, and
# "= cpus N [M ...]" runs it on a machine with N CPUs (then M, ...; default 1), "= threads T"
# makes those CPUs T SMT threads per core (default 1: no SMT), "= memory MIB" gives the Bochs
# machines MIB of RAM (default 256; QEMU has 1024), and "@ MACHINE" also runs it on a machine
# outside the default matrix when no matrix is given. Prints one
# PASS/FAIL/SKIP line per run, named boot/MACHINE/TEST (TEST.Ncpus when N > 1), and a count.
# Usage: boot-test.sh [--matrix svm-qemu[,...]] [NAME...]
#   machines: svm-qemu  AMD SVM + NPT in QEMU TCG
#             vmx-bochs Intel VMX + EPT in Bochs (corei7_skylake_x)
#             svm-bochs AMD SVM + NPT in Bochs (ryzen), a second SVM implementation: by
#                       default only the tests whose .expect says "@ svm-bochs"
#             vmx-bochs-tgl  Intel VMX in Bochs (tigerlake), the one emulated CPU that offers
#                       speculation controls (SPEC_CTRL, IBPB, eIBRS): "@ vmx-bochs-tgl" tests
#   default: svm-qemu and vmx-bochs, plus the "@ MACHINE" runs; MOAT_BOOT_MATRIX or --matrix
#   picks machines and runs every test on each, e.g. --matrix svm-qemu,vmx-bochs,svm-bochs
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/qemu-cmd.sh"
cd "$top"

matrix=${MOAT_BOOT_MATRIX:-svm-qemu,vmx-bochs}
default_matrix=${MOAT_BOOT_MATRIX:+no}
if [ "${1:-}" = --matrix ]; then
	default_matrix=no
	matrix=$2
	shift 2
fi
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for f in tests/boot/*.dts; do tests+=("$(basename "$f" .dts)"); done
fi
timeout_s=${MOAT_BOOT_TIMEOUT:-150}
jobs=${MOAT_BOOT_JOBS:-2}

# check_expect LOG EXPECT -> prints what failed, returns non-zero on any failure
check_expect() {
	local log=$1 expect=$2 status=0 kind re
	while IFS= read -r line || [ -n "$line" ]; do
		kind=${line:0:1}
		re=${line:2}
		case "$kind" in
		+) grep -Eq -- "$re" "$log" || { echo "    missing: $re"; status=1; } ;;
		-) if grep -Eq -- "$re" "$log"; then
			echo "    unexpected: $re"
			grep -E -- "$re" "$log" | head -3 | sed 's/^/      > /'
			status=1
		   fi ;;
		esac
	done <"$expect"
	return $status
}

# The SMT threads per core a test asks for ("= threads T"; default 1).
smt_threads() {
	local threads
	threads=$(sed -n 's/^= threads \([0-9][0-9]*\)$/\1/p' "tests/boot/$1.expect" | head -1)
	echo "${threads:-1}"
}

run_svm_qemu() {
	local name=$1 dir=$2 cpus=$3
	qemu_cmd "$dir/esp.img" "$dir/OVMF_VARS.fd" tcg -smp "$cpus,threads=$(smt_threads "$name")" \
		-serial "file:$dir/serial.raw" -device isa-debug-exit,iobase=0x501,iosize=2
	timeout "$timeout_s" "${QEMU_CMD[@]}" >"$dir/qemu.out" 2>&1
}

# "= memory MIB" in a test's .expect file: the Bochs machine's RAM (default 256 MiB; QEMU
# always has 1024 MiB).
bochs_memory() {
	local mib
	mib=$(sed -n 's/^= memory \([0-9][0-9]*\)$/\1/p' "tests/boot/$1.expect" | head -1)
	echo "${mib:-256}"
}

# run_bochs MODEL NAME DIR CPUS
run_bochs() {
	local model=$1 name=$2 dir=$3 cpus=$4
	scripts/bochs-run.sh --model "$model" --image "$dir/esp.img" --serial "$dir/serial.raw" \
		--log "$dir/bochs.log" --timeout "$timeout_s" --cpus "$cpus" \
		--threads "$(smt_threads "$name")" --memory "$(bochs_memory "$name")" \
		>"$dir/bochs.out" 2>&1
}
run_vmx_bochs() { run_bochs corei7_skylake_x "$1" "$2" "$3"; }
run_svm_bochs() { run_bochs ryzen "$1" "$2" "$3"; }
run_vmx_bochs_tgl() { run_bochs tigerlake "$1" "$2" "$3"; }

# Why a VM entry failed, from Bochs' log (error: action=report logs each failed check).
show_vmfail() {
	[ -s "$1/bochs.out" ] && grep -a -m 3 "bochs-run:" "$1/bochs.out" | sed 's/^/      /'
	[ -f "$1/bochs.log" ] && grep -a -m 5 -E "VMFAIL|VMEXIT_INVALID|VMENTER FAIL" "$1/bochs.log" |
		sed 's/^/      bochs: /'
	return 0
}

# The CPU counts a test runs with ("= cpus N [M ...]" in its .expect file; default 1).
cpu_counts() {
	local counts
	counts=$(sed -n 's/^= cpus \([0-9][0-9 ]*\)$/\1/p' "tests/boot/$1.expect" | head -1)
	echo "${counts:-1}"
}

# run_label NAME CPUS: how a run is named in results and build/boot/MACHINE/.
run_label() {
	if [ "$2" -eq 1 ]; then echo "$1"; else echo "$1.$2cpus"; fi
}

# run_one MACHINE NAME CPUS: boots and checks; writes DIR/result
run_one() {
	local machine=$1 name=$2 cpus=$3 label dir start rc skip
	label=$(run_label "$name" "$cpus")
	dir="build/boot/$machine/$label"
	rm -rf "$dir"
	mkdir -p "$dir"
	# "~ MACHINE: reason" in the .expect file: this machine cannot run the test (an emulator
	# limitation), reported as skipped with the reason.
	skip=$(sed -n "s/^~ $machine: //p" "tests/boot/$name.expect" | head -1)
	if [ -n "$skip" ]; then
		echo "SKIP boot/$machine/$label: $skip" >"$dir/result"
		return
	fi
	if ! dtc -q -I dts -O dtb -o "$dir/moat.dtb" "tests/boot/$name.dts" 2>"$dir/dtc.err"; then
		{ echo "FAIL boot/$machine/$label: dtc failed"; sed 's/^/    /' "$dir/dtc.err"; } >"$dir/result"
		return
	fi
	scripts/mkimage.sh "$dir/esp.img" build/moat.efi "$dir/moat.dtb" build/guests >/dev/null
	start=$(date +%s)
	"run_${machine//-/_}" "$name" "$dir" "$cpus"
	rc=$?
	tr -d '\r' <"$dir/serial.raw" >"$dir/serial.log" 2>/dev/null || : >"$dir/serial.log"
	{
		local secs=$(($(date +%s) - start))
		if [ $rc -eq 124 ]; then
			echo "FAIL boot/$machine/$label: timed out after ${timeout_s}s"
			tail -n 15 "$dir/serial.log" | sed 's/^/      | /'
			show_vmfail "$dir"
		elif out=$(check_expect "$dir/serial.log" "tests/boot/$name.expect"); then
			echo "PASS boot/$machine/$label (${secs}s)"
		else
			echo "FAIL boot/$machine/$label (${secs}s), log: $dir/serial.log"
			echo "$out"
			grep -E "moat: (error|warn)|FAIL|panic" "$dir/serial.log" | head -10 | sed 's/^/      | /'
			show_vmfail "$dir"
		fi
	} >"$dir/result"
}

export -f run_one run_label check_expect smt_threads run_svm_qemu run_bochs run_vmx_bochs \
	run_svm_bochs run_vmx_bochs_tgl show_vmfail bochs_memory \
	qemu_cmd
export timeout_s OVMF_CODE OVMF_VARS
pairs=()
for machine in ${matrix//,/ }; do
	for t in "${tests[@]}"; do
		for n in $(cpu_counts "$t"); do pairs+=("$machine $t $n"); done
	done
done
# "@ MACHINE": a test that needs a machine the default matrix leaves out (to keep CI short).
if [ "$default_matrix" != no ]; then
	for t in "${tests[@]}"; do
		for machine in $(sed -n 's/^@ \([a-z0-9-]*\)$/\1/p' "tests/boot/$t.expect"); do
			for n in $(cpu_counts "$t"); do pairs+=("$machine $t $n"); done
		done
	done
fi
printf '%s\n' "${pairs[@]}" | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1" "$2"'

passed=0 failed=0 skipped=0
for p in "${pairs[@]}"; do
	set -- $p
	label=$(run_label "$2" "$3")
	r="build/boot/$1/$label/result"
	if [ -f "$r" ] && head -1 "$r" | grep -q '^PASS'; then
		passed=$((passed + 1))
	elif [ -f "$r" ] && head -1 "$r" | grep -q '^SKIP'; then
		skipped=$((skipped + 1))
	else
		failed=$((failed + 1))
		if [ ! -f "$r" ]; then
			mkdir -p "$(dirname "$r")"
			echo "FAIL boot/$1/$label: no result" >"$r"
		fi
	fi
	cat "$r"
done
echo "boot tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
