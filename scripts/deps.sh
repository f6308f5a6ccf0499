#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Moat needs to build and test, when any is missing.
set -euo pipefail
packages=(
	gcc make binutils gnu-efi libfdt-dev device-tree-compiler libcmocka-dev
	qemu-system-x86 ovmf mtools dosfstools
	clang libclang-rt-14-dev xxd
	bochs bochsbios bochs-term vgabios
	acpica-tools cpio xz-utils
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "Run as root, or install them yourself: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
