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
BUSYBOX_APPLETS=(sh cat cp echo grep kill mkfifo rm sed sleep awk wc insmod rmmod)

dir=$(dirname "$VMM_CPIO")
key="$(content_hash guest/vmm.sh) $(declare -f debian_apt debian_programs | sha256sum | cut -c1-16)"
if [ -f "$dir/vmm.cpio" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
	log "vmm: cached, $(cat "$dir/version")"
	exit 0
fi
log "vmm: fetching Debian's arm64 ${VMM_PACKAGES[*]} ($GUEST_QEMU_SUITE)"
rm -rf "$dir"
debian_programs "$dir" "$GUEST_QEMU_SUITE" arm64 "${VMM_PACKAGES[@]}" -- "${VMM_PROGRAMS[@]}"
for applet in "${BUSYBOX_APPLETS[@]}"; do
	ln -s busybox "$dir/root/bin/$applet"
done
mkdir -p "$dir/root/tmp"
(cd "$dir/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir/vmm.cpio"
dpkg-deb -f "$dir"/debs/qemu-system-arm_*.deb Version |
	sed 's/^/qemu-system-arm (arm64) /' >"$dir/version"
rm -rf "$dir/debs"
echo "$key" >"$dir/key"
log "vmm: $(cat "$dir/version"), $(du -sh "$dir/vmm.cpio" | cut -f1) packed"
