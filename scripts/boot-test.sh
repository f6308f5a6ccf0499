#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot tests: each tests/boot/NAME.dts is a configuration booted on an emulated machine;
# tests/boot/NAME.expect says what Moat's serial output must (+ REGEX) and must not
# (- REGEX) contain; "~ MACHINE: reason" skips a machine that cannot run the test, and
# "= cpus N [M ...]" runs it on a machine with N CPUs (then M, ...; default 1), "= threads T"
# makes those CPUs T SMT threads per core (default 1: no SMT), "= memory MIB" gives the Bochs
# machines MIB of RAM (default 256; QEMU has 1024), and "@ MACHINE" also runs it on a machine
# outside the default matrix when no matrix is given. "= linux" puts the Linux guest's files
# (scripts/linux-assets.sh: guests/vmlinuz, guests/vmlinux, guests/initrd.img) on the volume;
# "> REGEX => TEXT" types TEXT into the guest's console once a line matches REGEX (in order);
# "= elapsed SECONDS PCT REGEX1 => REGEX2" wants the host time between the two lines within
# PCT percent of SECONDS (QEMU only: Bochs' clock counts instructions); "= timeout SECONDS"
# gives the run longer than MOAT_BOOT_TIMEOUT (default 150 s). Prints one
# PASS/FAIL/SKIP line per run, named boot/MACHINE/TEST (TEST.Ncpus when N > 1), and a count.
# Usage: boot-test.sh [--matrix svm-qemu[,...]] [NAME...]
#   machines: svm-qemu  AMD SVM + NPT in QEMU TCG
#             vmx-bochs Intel VMX + EPT in Bochs (corei7_skylake_x)
#             svm-bochs AMD SVM + NPT in Bochs (ryzen), a second SVM implementation: by
#                       default only the tests whose .expect says "@ svm-bochs"
#             vmx-bochs-tgl  Intel VMX in Bochs (tigerlake), the one emulated CPU that offers
#                       speculation controls (SPEC_CTRL, IBPB, eIBRS): "@ vmx-bochs-tgl" tests
#   default: svm-qemu and vmx-bochs, plus the "@ MACHINE" runs; MOAT_BOOT_MATRIX or --matrix
#   picks machines and runs every test on each with every CPU count (by default the Bochs
#   machines run only a test's largest count), e.g. --matrix svm-qemu,vmx-bochs,svm-bochs
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

# check_expect LOG EXPECT [MACHINE] -> prints what failed, returns non-zero on any failure.
# The console driver's files beside LOG (serial.times, typed.log) hold when each line came
# and what was typed.
check_expect() {
	local log=$1 expect=$2 machine=${3:-} status=0 kind re typed=0
	local dir
	dir=$(dirname "$log")
	while IFS= read -r line || [ -n "$line" ]; do
		kind=${line:0:1}
		re=${line:2}
		case "$kind" in
		\>) typed=$((typed + 1))
		   if [ "$(wc -l <"$dir/typed.log" 2>/dev/null || echo 0)" -lt $typed ]; then
			echo "    not typed (no line matched): ${re%% => *}"
			status=1
		   fi ;;
		=) case "$re" in elapsed\ *) [[ $machine == *-qemu ]] &&
			{ check_elapsed "$dir/serial.times" "${re#elapsed }" || status=1; } ;; esac ;;
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

# check_elapsed TIMES "SECONDS PCT REGEX1 => REGEX2": the host time between the first line
# matching REGEX1 and the next matching REGEX2 is within PCT percent of SECONDS.
check_elapsed() {
	local times=$1 want pct rest re1 re2 t1 t2
	read -r want pct rest <<<"$2"
	pct=${pct%\%}
	re1=${rest%% => *}
	re2=${rest#* => }
	t1=$(grep -E -m 1 -- "^[0-9.]+ .*$re1" "$times" | cut -d' ' -f1)
	[ -n "$t1" ] && t2=$(awk -v t="$t1" '$1 >= t' "$times" | grep -E -m 1 -- "^[0-9.]+ .*$re2" |
		cut -d' ' -f1)
	if [ -z "$t1" ] || [ -z "${t2:-}" ]; then
		echo "    elapsed: no '$re1' then '$re2' in the console's timed lines"
		return 1
	fi
	awk -v a="$t1" -v b="$t2" -v w="$want" -v p="$pct" 'BEGIN {
		d = b - a; dev = (d - w) / w * 100; if (dev < 0) dev = -dev
		if (dev > p) { printf "    elapsed: %.3f s between the lines, want %s s within %s%%\n", d, w, p; exit 1 }
		printf "    elapsed: %.3f s (want %s s within %s%%)\n", d, w, p > "/dev/stderr" }'
}

# Whether a test types into the console or times its lines (needs the console driver).
needs_driver() { grep -Eq '^(> |= elapsed )' "tests/boot/$1.expect"; }
# Whether a test boots the Linux guest ("= linux").
needs_linux() { grep -q '^= linux$' "tests/boot/$1.expect"; }

# The SMT threads per core a test asks for ("= threads T"; default 1).
smt_threads() {
	local threads
	threads=$(sed -n 's/^= threads \([0-9][0-9]*\)$/\1/p' "tests/boot/$1.expect" | head -1)
	echo "${threads:-1}"
}

run_svm_qemu() {
	local name=$1 dir=$2 cpus=$3 serial=(-serial "file:$dir/serial.raw") driver rc
	if needs_driver "$name"; then
		mkfifo "$dir/com1.in" "$dir/com1.out"
		serial=(-chardev "pipe,id=com1,path=$dir/com1" -serial chardev:com1)
		scripts/console-driver.sh "tests/boot/$name.expect" "$dir/serial.raw" \
			"$dir/serial.times" "$dir/typed.log" --fifo "$dir/com1" &
		driver=$!
	fi
	qemu_cmd "$dir/esp.img" "$dir/OVMF_VARS.fd" tcg -smp "$cpus,threads=$(smt_threads "$name")" \
		"${serial[@]}" -device isa-debug-exit,iobase=0x501,iosize=2
	timeout "$timeout_s" "${QEMU_CMD[@]}" >"$dir/qemu.out" 2>&1
	rc=$?
	if [ -n "${driver:-}" ]; then
		# The driver ends when QEMU closes the pipe; a driver still waiting to open it
		# (QEMU never started) is stopped.
		sleep 0.2
		kill "$driver" 2>/dev/null
		wait "$driver" 2>/dev/null
	fi
	return $rc
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
	local model=$1 name=$2 dir=$3 cpus=$4 serial=(--serial "$dir/serial.raw") driver rc port
	if needs_driver "$name"; then
		# COM1 as a TCP server Bochs opens at start-up; the driver connects to it.
		port=$((20000 + RANDOM % 20000))
		serial=(--serial-socket "$port")
		scripts/console-driver.sh "tests/boot/$name.expect" "$dir/serial.raw" \
			"$dir/serial.times" "$dir/typed.log" --tcp "$port" &
		driver=$!
	fi
	scripts/bochs-run.sh --model "$model" --image "$dir/esp.img" "${serial[@]}" \
		--log "$dir/bochs.log" --timeout "$timeout_s" --cpus "$cpus" \
		--threads "$(smt_threads "$name")" --memory "$(bochs_memory "$name")" \
		>"$dir/bochs.out" 2>&1
	rc=$?
	if [ -n "${driver:-}" ]; then
		sleep 0.2
		kill "$driver" 2>/dev/null
		wait "$driver" 2>/dev/null
	fi
	return $rc
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

# The counts MACHINE runs TEST with. Without a matrix given, the Bochs machines (minutes per
# run) run a "= cpus 1 2" test only with its largest count, which covers the SMP paths too;
# svm-qemu runs every count, and a given matrix runs every count everywhere.
machine_counts() {
	local counts
	counts=$(cpu_counts "$2")
	if [ "$default_matrix" != no ] && [ "$1" != svm-qemu ]; then
		echo "${counts##* }"
	else
		echo "$counts"
	fi
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
	# "= timeout SECONDS": a longer run than the default (a Linux boot); seen by the run_*
	# functions below through bash's dynamic scope.
	local timeout_s=$timeout_s t
	t=$(sed -n 's/^= timeout \([0-9][0-9]*\)$/\1/p' "tests/boot/$name.expect" | head -1)
	[ -n "$t" ] && timeout_s=$t
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
	local guests=build/guests size=64
	if needs_linux "$name"; then
		if [ ! -s build/linux/initrd.img ]; then
			echo "SKIP boot/$machine/$label: no Linux assets (scripts/linux-assets.sh)" >"$dir/result"
			return
		fi
		# The test guests and the Linux guest's files; vmlinux is about 66 MB.
		guests=$dir/guests
		mkdir -p "$guests"
		ln -f build/guests/* build/linux/vmlinuz build/linux/vmlinux build/linux/initrd.img \
			"$guests/" 2>/dev/null || cp build/guests/* build/linux/vmlinuz \
			build/linux/vmlinux build/linux/initrd.img "$guests/"
		size=160
	fi
	scripts/mkimage.sh "$dir/esp.img" build/moat.efi "$dir/moat.dtb" "$guests" "$size" >/dev/null
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
		elif out=$(check_expect "$dir/serial.log" "tests/boot/$name.expect" "$machine" \
			2>"$dir/check.out"); then
			echo "PASS boot/$machine/$label (${secs}s)"
		else
			echo "FAIL boot/$machine/$label (${secs}s), log: $dir/serial.log"
			echo "$out"
			grep -E "moat: (error|warn)|FAIL|panic" "$dir/serial.log" | head -10 | sed 's/^/      | /'
			show_vmfail "$dir"
		fi
	} >"$dir/result"
}

export -f run_one run_label check_expect check_elapsed needs_driver needs_linux smt_threads run_svm_qemu run_bochs run_vmx_bochs \
	run_svm_bochs run_vmx_bochs_tgl show_vmfail bochs_memory \
	qemu_cmd
export timeout_s OVMF_CODE OVMF_VARS
pairs=()
for machine in ${matrix//,/ }; do
	for t in "${tests[@]}"; do
		for n in $(machine_counts "$machine" "$t"); do pairs+=("$machine $t $n"); done
	done
done
# "@ MACHINE": a test that needs a machine the default matrix leaves out (to keep CI short).
if [ "$default_matrix" != no ]; then
	for t in "${tests[@]}"; do
		for machine in $(sed -n 's/^@ \([a-z0-9-]*\)$/\1/p' "tests/boot/$t.expect"); do
			for n in $(machine_counts "$machine" "$t"); do pairs+=("$machine $t $n"); done
		done
	done
fi
# The Linux guest's files, once, before the runs that need them (a download the first time;
# cached after that). Exit status 3: no network and no cache, those tests are skipped.
for p in "${pairs[@]}"; do
	set -- $p
	if needs_linux "$2"; then
		scripts/linux-assets.sh build/linux >/dev/null ||
			echo "boot-test: no Linux assets (scripts/linux-assets.sh failed)" >&2
		break
	fi
done
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
