#!/usr/bin/env bash
# Fetch the VMM the guest tests use: Debian's own arm64 qemu-system-aarch64,
# unmodified, with busybox (the shell for run.sh and for QEMU's exec:
# migration) and fdtput (to add the SDEI node to QEMU's device tree).
# The arm64 packages come with apt-get download through an apt state of
# our own in the cache, so the machine's dpkg is left alone. Only the
# programs and the libraries they load are kept, packed as a cpio archive
# that the test initramfs appends. Cached; delete $CACHE/vmm to refresh.
source "$(dirname "$0")/../scripts/lib.sh"

VMM_PACKAGES=(qemu-system-arm device-tree-compiler busybox-static)
VMM_PROGRAMS=(usr/bin/qemu-system-aarch64 usr/bin/fdtput bin/busybox)
# What run.sh and QEMU's exec: migration call.
BUSYBOX_APPLETS=(sh cat cp echo grep kill mkfifo rm sed sleep awk wc)

dir=$CACHE/vmm
key=$(content_hash guest/vmm.sh)
if [ -f "$dir/vmm.cpio" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
	log "vmm: cached, $(cat "$dir/version")"
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/apt/state/lists/partial" "$dir/apt/cache/archives/partial" \
	"$dir/debs" "$dir/extract" "$dir/root"
touch "$dir/apt/state/status"
cat >"$dir/apt/apt.conf" <<CONF
APT::Architecture "arm64";
APT::Architectures "arm64";
APT::Sandbox::User "root";
Dir::State "$dir/apt/state";
Dir::State::status "$dir/apt/state/status";
Dir::Cache "$dir/apt/cache";
CONF
export APT_CONFIG=$dir/apt/apt.conf

log "vmm: fetching Debian's arm64 ${VMM_PACKAGES[*]}"
apt-get update -qq
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "${VMM_PACKAGES[@]}" |
	grep -v -e '^ ' -e '^<' | sort -u)
(cd "$dir/debs" && apt-get download -qq "${packages[@]}" 2>/dev/null)
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/extract"
done

# Keep each program and, transitively, every library it names.
copy() { # path relative to the extracted tree
	mkdir -p "$dir/root/$(dirname "$1")"
	cp -L "$dir/extract/$1" "$dir/root/$1"
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
	done < <(readelf -d "$dir/extract/$f" 2>/dev/null |
		 sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
for applet in "${BUSYBOX_APPLETS[@]}"; do
	ln -s busybox "$dir/root/bin/$applet"
done
mkdir -p "$dir/root/tmp"
(cd "$dir/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir/vmm.cpio"
dpkg-deb -f "$dir"/debs/qemu-system-arm_*.deb Version |
	sed 's/^/qemu-system-arm (arm64) /' >"$dir/version"
rm -rf "$dir/extract" "$dir/debs" "$dir/apt/cache"
echo "$key" >"$dir/key"
log "vmm: $(cat "$dir/version"), $(du -sh "$dir/vmm.cpio" | cut -f1) packed"
