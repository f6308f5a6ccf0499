#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux guest's files, built from Debian packages (never committed): Debian's stock
# kernel as a bzImage (vmlinuz) and as the ELF vmlinux inside it (for PVH), and an initramfs
# of busybox-static with tests/linux/init. The .deb files and what comes out of them are
# cached in MOAT_LINUX_CACHE (default build/linux/cache), so a second run needs no network.
# Usage: linux-assets.sh [OUT_DIR]   (default build/linux) -> OUT_DIR/{vmlinuz,vmlinux,initrd.img}
# Exit status 3: the packages could not be downloaded and are not cached.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/linux}
cache=${MOAT_LINUX_CACHE:-$top/build/linux/cache}
mkdir -p "$out" "$cache"
cache=$(cd "$cache" && pwd)

# The kernel package linux-image-amd64 points at today (e.g. linux-image-6.1.0-57-amd64):
# resolved from the archive's metadata, never written down here.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1
}

# fetch PACKAGE: the .deb into the cache unless one is there already.
fetch() {
	local pkg=$1
	ls "$cache"/"${pkg}"_*.deb >/dev/null 2>&1 && return 0
	# apt-get download writes into the current directory; _apt cannot write to build/,
	# so download as the current user without the sandbox.
	(cd "$cache" && apt-get download -o APT::Sandbox::User="$(id -un)" "$pkg" >/dev/null) ||
		{ echo "linux-assets: cannot download $pkg" >&2; return 3; }
}

# 1. The kernel: the cached .deb if there is one, else the current package.
deb=$(ls "$cache"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	pkg=$(kernel_package)
	if [ -z "$pkg" ]; then
		apt-get update -qq 2>/dev/null || true
		pkg=$(kernel_package)
	fi
	[ -n "$pkg" ] || { echo "linux-assets: apt-cache knows no linux-image-amd64" >&2; exit 3; }
	fetch "$pkg" || exit 3
	deb=$(ls "$cache"/linux-image-[0-9]*-amd64_*.deb | head -1)
fi
fetch busybox-static || exit 3

# 2. Unpack what the guest needs (dpkg -x; the kernel's modules are not needed).
if [ ! -s "$cache/vmlinuz" ]; then
	rm -rf "$cache/kernel"
	dpkg -x "$deb" "$cache/kernel"
	cp "$(ls "$cache"/kernel/boot/vmlinuz-* | head -1)" "$cache/vmlinuz.tmp"
	cp "$(ls "$cache"/kernel/boot/config-* | head -1)" "$cache/config"
	rm -rf "$cache/kernel"
	mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
fi
if [ ! -x "$cache/busybox" ]; then
	rm -rf "$cache/bb"
	dpkg -x "$(ls "$cache"/busybox-static_*.deb | head -1)" "$cache/bb"
	cp "$cache/bb/bin/busybox" "$cache/busybox"
	rm -rf "$cache/bb"
fi

# 3. The ELF vmlinux inside the bzImage, the kernel's scripts/extract-vmlinux method: find
# the XZ stream's magic (FD 37 7A 58 5A 00), decompress from there, keep the result if it is
# an ELF file. xz complains about the bytes after the stream: ignored.
if [ ! -s "$cache/vmlinux" ]; then
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$cache/vmlinuz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$cache/vmlinuz" | xz -dc 2>/dev/null >"$cache/vmlinux.tmp" || true
		if [ "$(head -c 4 "$cache/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$cache/vmlinux.tmp" "$cache/vmlinux"
			break
		fi
	done
	rm -f "$cache/vmlinux.tmp"
	[ -s "$cache/vmlinux" ] || { echo "linux-assets: no XZ vmlinux in $cache/vmlinuz" >&2; exit 1; }
fi

# 4. The initramfs (cpio newc, gzip): busybox, its applet links, the init script.
# Rebuilt when the init script changes; cheap (under a second).
if [ ! -s "$out/initrd.img" ] || [ "$top/tests/linux/init" -nt "$out/initrd.img" ] ||
	[ "$0" -nt "$out/initrd.img" ]; then
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
	cp "$cache/busybox" "$root/bin/busybox"
	for applet in $("$cache/busybox" --list-full); do
		[ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$root/$applet"
	done
	cp "$top/tests/linux/init" "$root/init"
	chmod 755 "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -9n >"$out/initrd.img.tmp"
	mv "$out/initrd.img.tmp" "$out/initrd.img"
fi
for f in vmlinuz vmlinux config; do
	[ "$out/$f" -ef "$cache/$f" ] || ln -f "$cache/$f" "$out/$f" 2>/dev/null ||
		cp "$cache/$f" "$out/$f"
done
echo "  linux $out: vmlinuz vmlinux initrd.img ($(basename "$deb" .deb))"
