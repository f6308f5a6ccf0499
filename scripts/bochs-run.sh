#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots a Moat volume image once on a Bochs 2.7 machine (Intel VMX or AMD SVM CPU models),
# headless and with no terminal, and waits until the machine powers off or the time runs out.
# Usage: bochs-run.sh --model MODEL --image ESP.img --serial SERIAL_OUT --log BOCHS_LOG
#                     [--timeout SECONDS] [--cpus N] [--threads T] [--ips N] [--memory MIB]
#        --serial-socket PORT instead of --serial: COM1 is a TCP server on localhost:PORT that
#        Bochs waits on at start-up (scripts/console-driver.sh connects to it, reads and types)
# --threads T makes the N CPUs T threads per core (N/T cores in one package).
# COM1 goes to SERIAL_OUT, the Bochs log to BOCHS_LOG, Bochs' own output (banner, port 0xE9,
# exit message) to BOCHS_LOG.stdout; the bochsrc used is kept as BOCHS_LOG.bochsrc.
# Exit status: 0 the machine ran and ended (power-off, or a Bochs panic such as a triple
# fault: the reason is printed; decide pass/fail from SERIAL_OUT), 124 timed out,
# 2 bad arguments, 3 a tool or file is missing, 4 the image size has no exact CHS geometry,
# 5 Bochs stopped before the machine started (bad bochsrc: see BOCHS_LOG.stdout).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

readonly EXIT_USAGE=2 EXIT_MISSING=3 EXIT_GEOMETRY=4 EXIT_NOT_STARTED=5 EXIT_TIMEOUT=124
# Disk geometry: 16 heads x 63 sectors x 512 bytes per cylinder (ATA CHS translation).
readonly DISK_HEADS=16 DISK_SPT=63 DISK_SECTOR=512
readonly CYLINDER_BYTES=$((DISK_HEADS * DISK_SPT * DISK_SECTOR))
readonly OVMF_ROM=/usr/share/ovmf/OVMF.fd VGA_ROM=/usr/share/vgabios/vgabios.bin
readonly TEMPLATE=$top/tests/bochs/bochsrc.in RC_FILE=$top/tests/bochs/debugger.rc
readonly PLUGIN_DIR=/usr/lib/x86_64-linux-gnu/bochs/plugins
# Seconds between SIGTERM and SIGKILL when the time is up.
readonly KILL_GRACE=5

model='' image='' serial='' serial_port='' log='' timeout_s=150 cpus=1 threads=1 ips=50000000 memory=256

fail() {
	local code=$1
	shift
	echo "bochs-run: $*" >&2
	exit "$code"
}

usage() {
	sed -n '5,7p' "$0" | sed 's/^# //' >&2
	exit $EXIT_USAGE
}

parse_args() {
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || fail $EXIT_USAGE "option $1 needs a value"
		case "$1" in
		--model) model=$2 ;;
		--image) image=$2 ;;
		--serial) serial=$2 ;;
		--serial-socket) serial_port=$2 ;;
		--log) log=$2 ;;
		--timeout) timeout_s=$2 ;;
		--cpus) cpus=$2 ;;
		--threads) threads=$2 ;;
		--ips) ips=$2 ;;
		--memory) memory=$2 ;;
		*) echo "bochs-run: unknown option $1" >&2; usage ;;
		esac
		shift 2
	done
	if [ -z "$model" ] || [ -z "$image" ] || [ -z "$serial$serial_port" ] || [ -z "$log" ]; then
		usage
	fi
	local n
	for n in timeout_s cpus threads ips memory; do
		[[ ${!n} =~ ^[1-9][0-9]*$ ]] ||
			fail $EXIT_USAGE "--${n%_s} must be a positive integer, got '${!n}'"
	done
	[ $((cpus % threads)) -eq 0 ] ||
		fail $EXIT_USAGE "--cpus $cpus is not a multiple of --threads $threads"
}

# bochsrc has no quoting: a path with a comma, space or quote would be split or cut.
check_path() {
	local what=$1 path=$2
	[[ $path =~ ^[A-Za-z0-9._/+-]+$ ]] ||
		fail $EXIT_USAGE "$what path '$path' has characters bochsrc cannot take (use [A-Za-z0-9._/+-])"
}

check_setup() {
	command -v bochs >/dev/null ||
		fail $EXIT_MISSING "bochs not found (apt-get install bochs bochsbios vgabios bochs-term)"
	command -v timeout >/dev/null || fail $EXIT_MISSING "timeout not found (coreutils)"
	local f
	for f in "$OVMF_ROM" "$VGA_ROM" "$TEMPLATE" "$RC_FILE"; do
		[ -f "$f" ] || fail $EXIT_MISSING "$f is missing (packages ovmf, vgabios; or the Moat tree)"
	done
	[ -f "$image" ] || fail $EXIT_MISSING "image $image does not exist"
	# Bochs prints its model list on stderr, one name per line.
	local models
	models=$(bochs --help cpu 2>&1)
	grep -qx -- "$model" <<<"$models" ||
		fail $EXIT_USAGE "unknown CPU model '$model' (see: bochs --help cpu)"
	[ ! -e "$image.lock" ] ||
		fail $EXIT_NOT_STARTED \
			"image $image is locked by another Bochs ($image.lock; remove it if none runs)"
	check_path image "$image"
	[ -z "$serial" ] || check_path serial "$serial"
	check_path log "$log"
}

# The Debian build has no "nogui". "term" needs bochs-term and a TERM, but no tty and no port;
# "rfb" needs neither yet listens on the first free TCP port in 5900-5949.
pick_display() {
	if [ -e "$PLUGIN_DIR/libbx_term_gui.so" ]; then
		echo term
	elif [ -e "$PLUGIN_DIR/libbx_rfb_gui.so" ]; then
		echo "rfb, options=\"timeout=0\""
	else
		fail $EXIT_MISSING "no headless Bochs display library (apt-get install bochs-term)"
	fi
}

# image_cylinders IMAGE: prints the cylinder count that covers IMAGE exactly.
image_cylinders() {
	local size
	size=$(stat -L -c %s "$1") || fail $EXIT_MISSING "cannot stat $1"
	if [ "$size" -eq 0 ] || [ $((size % CYLINDER_BYTES)) -ne 0 ]; then
		fail $EXIT_GEOMETRY "image $1 is $size bytes, not a multiple of $CYLINDER_BYTES" \
			"(16 heads x 63 sectors x 512): e.g. 63 MiB = 128 cylinders"
	fi
	echo $((size / CYLINDER_BYTES))
}

# write_bochsrc OUT: fills the template. Quoted replacements keep '&' literal (bash 5.2).
write_bochsrc() {
	local rc display cylinders
	display=$(pick_display) || exit
	cylinders=$(image_cylinders "$image") || exit
	rc=$(<"$TEMPLATE")
	rc=${rc//@DISPLAY@/"$display"}
	rc=${rc//@MODEL@/"$model"}
	# Bochs' count is processors[:cores per processor:threads per core].
	local count=$cpus
	[ "$threads" -eq 1 ] || count="1:$((cpus / threads)):$threads"
	rc=${rc//@CPUS@/"$count"}
	rc=${rc//@IPS@/"$ips"}
	rc=${rc//@MEMORY@/"$memory"}
	rc=${rc//@IMAGE@/"$image"}
	rc=${rc//@CYLINDERS@/"$cylinders"}
	if [ -n "$serial_port" ]; then
		rc=${rc//@COM1@/"mode=socket-server, dev=localhost:$serial_port"}
	else
		rc=${rc//@COM1@/"mode=file, dev=$serial"}
	fi
	rc=${rc//@LOG@/"$log"}
	printf '%s\n' "$rc" >"$1"
}

# end_reason: how the machine stopped, from the last panic line of the Bochs log.
end_reason() {
	local line
	line=$(grep -a '>>PANIC<<' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		echo "${line#*>>PANIC<< }"
	else
		echo "no panic logged (magic breakpoint or Bochs quit)"
	fi
}

main() {
	parse_args "$@"
	image=$(realpath -m -- "$image")
	[ -z "$serial" ] || serial=$(realpath -m -- "$serial")
	log=$(realpath -m -- "$log")
	check_setup
	mkdir -p "$(dirname "$log")"
	[ -z "$serial" ] || { mkdir -p "$(dirname "$serial")"; rm -f "$serial"; }
	rm -f "$log"

	# Each run gets its own directory (Bochs' working directory) so parallel runs never share
	# a file; nothing here uses a fixed port.
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/moat-bochs.XXXXXX") || fail $EXIT_MISSING "mktemp failed"
	trap 'rm -rf "$scratch"' EXIT
	write_bochsrc "$scratch/bochsrc" || exit
	cp "$scratch/bochsrc" "$log.bochsrc"

	# The debugger build stops at a prompt unless the rc file says continue; stdin is
	# /dev/null so that nothing waits for a key. Bochs ignores SIGTERM, but SIGINT drops it
	# into the debugger, which reads EOF and quits cleanly (removing its IMAGE.lock).
	# TERM=dumb satisfies the term display without a real terminal.
	local rc
	(cd "$scratch" && TERM=dumb timeout -s INT -k "$KILL_GRACE" "$timeout_s" \
		bochs -q -f "$scratch/bochsrc" -rc "$RC_FILE") </dev/null >"$log.stdout" 2>&1
	rc=$?
	case $rc in
	124 | 137)
		# Only a killed Bochs leaves its lock behind; it was ours, since Bochs refuses to
		# start on a locked image.
		[ $rc -eq 137 ] && rm -f "$image.lock"
		echo "bochs-run: $model: timed out after ${timeout_s}s" >&2
		return $EXIT_TIMEOUT
		;;
	0 | 1) ;;
	*)
		tail -n 5 "$log.stdout" >&2
		fail $EXIT_NOT_STARTED "$model: bochs exited with status $rc (see $log.stdout)"
		;;
	esac
	# Power-off and a bad bochsrc both end Bochs with status 1: only a started machine
	# has logged its hardware reset.
	if ! grep -aq 'Reset(HARDWARE) called' "$log" 2>/dev/null; then
		grep -a -A3 'exiting with the following message' "$log.stdout" >&2
		fail $EXIT_NOT_STARTED "$model: the machine never started (see $log.stdout)"
	fi
	echo "bochs-run: $model: ended: $(end_reason)" >&2
	return 0
}

main "$@"
