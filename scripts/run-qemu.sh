#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run`: boots Moat with a configuration in QEMU, guest consoles on this terminal.
# Usage: run-qemu.sh MOAT.efi MOAT.dtb GUESTS_DIR
set -euo pipefail
here=$(dirname "$0")
. "$here/qemu-cmd.sh"
efi=$1 dtb=$2 guests=$3
dir=build/run
mkdir -p "$dir"
"$here/mkimage.sh" "$dir/esp.img" "$efi" "$dtb" "$guests" >/dev/null
accel=${MOAT_ACCEL:-$(qemu_accel)}
qemu_cmd "$dir/esp.img" "$dir/OVMF_VARS.fd" "$accel" -serial mon:stdio
echo "Booting Moat in QEMU ($accel). The firmware takes a few seconds; Ctrl-A X quits QEMU."
exec "${QEMU_CMD[@]}"
