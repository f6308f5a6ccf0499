#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds a FAT32 boot volume image (no root needed: mtools) holding
#   EFI/BOOT/BOOTX64.EFI  (moat.efi, which UEFI firmware boots by default)
#   moat.dtb              (the configuration)
#   guests/...            (every file in GUESTS_DIR)
# Usage: mkimage.sh OUT.img MOAT.efi MOAT.dtb GUESTS_DIR [SIZE_MIB]
set -euo pipefail
out=$1 efi=$2 dtb=$3 guests=$4 size_mib=${5:-64}

# A whole number of 16-head, 63-sector cylinders, so Bochs' ATA disk covers it exactly.
cylinder=$((16 * 63 * 512))
rm -f "$out"
truncate -s $((size_mib * 1024 * 1024 / cylinder * cylinder)) "$out"
mkfs.vfat -F 32 -n MOAT "$out" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out" ::/EFI ::/EFI/BOOT ::/guests
mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out" "$dtb" ::/moat.dtb
for f in "$guests"/*; do
	[ -f "$f" ] && mcopy -i "$out" "$f" "::/guests/$(basename "$f")"
done
echo "  image $out: EFI/BOOT/BOOTX64.EFI, moat.dtb, guests/ ($(ls "$guests" | wc -l) files)"
