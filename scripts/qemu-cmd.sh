#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints the QEMU command line that boots a Moat volume image (sourced by run-qemu.sh,
# boot-test.sh and bench.sh so that all three boot the same machine).
# Usage: qemu_cmd IMAGE VARS_COPY ACCEL [extra args...]   -> sets the array QEMU_CMD
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

# KVM only where the host can run a hypervisor inside a guest (nested SVM or VMX).
qemu_accel() {
	if [ -w /dev/kvm ] &&
		{ grep -qs '^[Y1]' /sys/module/kvm_amd/parameters/nested ||
		  grep -qs '^[Y1]' /sys/module/kvm_intel/parameters/nested; }; then
		echo kvm
	else
		echo tcg
	fi
}

qemu_cmd() {
	local image=$1 vars=$2 accel=$3
	shift 3
	local cpu=max
	[ "$accel" = kvm ] && cpu=host
	[ -f "$vars" ] || cp "$OVMF_VARS" "$vars"
	QEMU_CMD=(qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu" -m 1024 ${MOAT_QEMU_MONITOR:+-monitor unix:$MOAT_QEMU_MONITOR,server,nowait}
		-display none -no-reboot -nodefaults
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$vars"
		-drive "file=$image,format=raw,if=ide"
		"$@")
}
