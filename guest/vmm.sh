#!/usr/bin/env bash
# Fetch the VMM the guest tests use: Debian's own arm64 qemu-system-aarch64,
# unmodified: by default the newest Debian ships (trixie-backports, 11.1),
# or Debian 12's (7.2) with KVM_SDEI_GUEST_QEMU=bookworm; with busybox (the
# shell for run.sh and for QEMU's exec: migration) and fdtput (to add the
# SDEI node to QEMU's device tree).
# The arm64 packages come with apt-get download through an apt state of
# our own in the cache, so the machine's dpkg is left alone. Only the
# programs and the libraries they load are kept, packed as a cpio archive
# that the test initramfs appends ($VMM_CPIO). Cached; delete it to refresh.
source "$(dirname "$0")/../scripts/lib.sh"

VMM_PACKAGES=(qemu-system-arm device-tree-compiler busybox-static)
VMM_PROGRAMS=(usr/bin/qemu-system-aarch64 usr/bin/fdtput bin/busybox)
# What run.sh and QEMU's exec: migration call.
BUSYBOX_APPLETS=(sh cat cp echo grep kill mkfifo rm sed sleep awk wc)

dir=$(dirname "$VMM_CPIO")
key=$(content_hash guest/vmm.sh)
if [ -f "$dir/vmm.cpio" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
	log "vmm: cached, $(cat "$dir/version")"
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/extract" "$dir/root"
debian_apt "$CACHE/debian/apt-$GUEST_QEMU_SUITE-arm64" "$GUEST_QEMU_SUITE" arm64

log "vmm: fetching Debian's arm64 ${VMM_PACKAGES[*]} ($GUEST_QEMU_SUITE)"
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "${VMM_PACKAGES[@]}" |
	grep -v -e '^ ' -e '^<' | sort -u)
(cd "$dir/debs" && apt-get download -qq "${packages[@]}" 2>/dev/null)
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/extract"
done

# Keep each program and, transitively, every library it names.
# A merged-/usr suite (trixie) ships /bin and /lib under /usr: a file is
# kept at the path the programs name.
extracted() { # path relative to the extracted tree
	if [ -e "$dir/extract/$1" ]; then echo "$dir/extract/$1"; else echo "$dir/extract/usr/$1"; fi
}
copy() {
	mkdir -p "$dir/root/$(dirname "$1")"
	cp -L "$(extracted "$1")" "$dir/root/$1"
}
find_lib() {
	local d
	for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
		[ -e "$dir/extract/$d/$1" ] && { echo "$d/$1"; return; }
	done
	die "vmm: no package provides $1"
}
queue=("${VMM_PROGRAMS[@]}" lib/ld-linux-aarch64.so.1)
declare -A seen
while ((${#queue[@]})); do
	f=${queue[0]} queue=("${queue[@]:1}")
	[ -n "${seen[$f]:-}" ] && continue
	seen[$f]=1
	copy "$f"
	while read -r soname; do
		queue+=("$(find_lib "$soname")")
	done < <(readelf -d "$(extracted "$f")" 2>/dev/null |
		 sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
for applet in "${BUSYBOX_APPLETS[@]}"; do
	ln -s busybox "$dir/root/bin/$applet"
done
mkdir -p "$dir/root/tmp"
(cd "$dir/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir/vmm.cpio"
dpkg-deb -f "$dir"/debs/qemu-system-arm_*.deb Version |
	sed 's/^/qemu-system-arm (arm64) /' >"$dir/version"
rm -rf "$dir/extract" "$dir/debs"
echo "$key" >"$dir/key"
log "vmm: $(cat "$dir/version"), $(du -sh "$dir/vmm.cpio" | cut -f1) packed"
