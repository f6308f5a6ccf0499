#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test runner's end of an emulated machine's COM1 for tests that type into a guest's
# console or time its output: copies what the machine prints to SERIAL_RAW, stamps each line
# with the host's clock in TIMES ("SECONDS.MICROS line"), and types each "> REGEX => TEXT"
# line of EXPECT (in order) once a line matching REGEX has appeared after the previous one
# typed; what it typed is listed in TYPED. Runs until the machine closes its end.
# Usage: console-driver.sh EXPECT SERIAL_RAW TIMES TYPED --fifo PATH   (QEMU -chardev pipe:
#                          PATH.out is read, PATH.in written)
#        console-driver.sh EXPECT SERIAL_RAW TIMES TYPED --tcp PORT    (Bochs com1
#                          socket-server on localhost:PORT: connects, retrying for 120 s)
set -uo pipefail
expect=$1 raw=$2 times=$3 typed=$4 kind=$5 where=$6
: >"$raw"
: >"$times"
: >"$typed"

regexes=() texts=()
while IFS= read -r l || [ -n "$l" ]; do
	case "$l" in
	"> "*" => "*)
		l=${l#> }
		regexes+=("${l%% => *}")
		texts+=("${l#* => }")
		;;
	esac
done <"$expect"

case "$kind" in
--fifo)
	exec 4<>"$where.in" 3<"$where.out"
	;;
--tcp)
	for _ in $(seq 1 1200); do
		{ exec 3<>"/dev/tcp/127.0.0.1/$where"; } 2>/dev/null && break
		sleep 0.1
	done
	exec 4>&3
	;;
*)
	echo "console-driver: bad kind $kind" >&2
	exit 2
	;;
esac

next=0
# A line is written out when its newline arrives; a prompt without one (read's timeout)
# is written as it is, so the log never misses bytes.
while :; do
	IFS= read -r -u 3 line
	status=$?
	line=${line%$'\r'}
	if [ $status -ne 0 ] && [ -z "$line" ]; then
		break
	fi
	if [ $status -eq 0 ]; then
		printf '%s\n' "$line" >>"$raw"
	else
		printf '%s' "$line" >>"$raw"
	fi
	printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$times"
	if [ $next -lt ${#regexes[@]} ] && [[ "$line" =~ ${regexes[$next]} ]]; then
		# A serial terminal's Enter is CR; the tty's ICRNL makes it the end of the line.
		printf '%s\r' "${texts[$next]}" >&4
		printf '%s %s\n' "$EPOCHREALTIME" "${texts[$next]}" >>"$typed"
		next=$((next + 1))
	fi
	[ $status -ne 0 ] && break
done
exit 0
