#!/usr/bin/env bash
# Fetch the emulator for the nested-virtualization run: Debian's newest
# amd64 qemu-system-aarch64 (trixie-backports), whose TCG has FEAT_NV2,
# which Debian 12's 7.2 lacks. Unpacked into the cache with the libraries
# it loads, trixie's own loader among them, and run through that loader:
# nothing is installed. Prints the command that runs it. Cached.
source "$(dirname "$0")/lib.sh"

dir=$CACHE/emulator-trixie
key="$(content_hash scripts/emulator.sh) $(declare -f debian_apt debian_programs | sha256sum | cut -c1-16)"
if [ ! -f "$dir/version" ] || [ "$(cat "$dir/key" 2>/dev/null)" != "$key" ]; then
	log "emulator: fetching Debian's amd64 qemu-system-arm (trixie-backports)"
	rm -rf "$dir"
	debian_programs "$dir" trixie amd64 qemu-system-arm -- usr/bin/qemu-system-aarch64
	dpkg-deb -f "$dir"/debs/qemu-system-arm_*.deb Version >"$dir/version"
	rm -rf "$dir/debs"
	echo "$key" >"$dir/key"
	log "emulator: qemu-system-aarch64 $(cat "$dir/version") (amd64)"
fi
echo "$dir/root/lib64/ld-linux-x86-64.so.2 --library-path $dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu $dir/root/usr/bin/qemu-system-aarch64"
