#!/usr/bin/env bash
# Everything the guest tests add to the test initramfs, cached: Debian's
# arm64 QEMU (vmm.sh), the guest kernel (kernel.sh), the guest's own
# initramfs (init.c and test_lockup.ko), the bare-metal guest (bare.c) and
# run.sh, packed as two cpio
# archives that qemu.sh appends: $VMM_CPIO and $GUEST_PAYLOAD.
source "$(dirname "$0")/../scripts/lib.sh"

"$TOP/guest/vmm.sh"
"$TOP/guest/kernel.sh"

# KVM_SDEI_GUEST_VARIANT=bench (kernel.sh) packs make bench's guest.
# Both get the guest series' kernel, for asynchronous page faults.
out=$CACHE/out-guest
[ "${KVM_SDEI_GUEST_VARIANT:-test}" = bench ] && out=$CACHE/out-guest-bench
KVM_SDEI_GUEST_VARIANT=series "$TOP/guest/kernel.sh"
gen_init_cpio=$(build_gen_init_cpio)
aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$out/init" "$TOP/guest/init.c"
# Linked above the device tree QEMU puts at the start of RAM.
aarch64-linux-gnu-gcc -O2 -Wall -Werror -ffreestanding -nostdlib -static -fno-pie -no-pie \
	-mgeneral-regs-only -mstrict-align -fno-stack-protector -Wl,-Ttext=0x40200000 \
	-Wl,-z,max-page-size=4096 -Wl,--build-id=none -o "$out/bare.elf" "$TOP/guest/bare.c"
cat >"$out/initrd.spec" <<SPEC
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/kmsg 0600 0 0 c 1 11
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $out/init 0755 0 0
file /test_lockup.ko $out/test_lockup.ko 0644 0 0
SPEC
[ -f "$out/sdei_nmi_bench.ko" ] &&
	echo "file /sdei_nmi_bench.ko $out/sdei_nmi_bench.ko 0644 0 0" >>"$out/initrd.spec"
"$gen_init_cpio" "$out/initrd.spec" >"$out/initrd.cpio"
# kdump's crash kernel, which run.sh appends to the initramfs of the runs
# that load it: every other boot would unpack it for nothing.
echo "file /capture-Image $out/Image 0644 0 0" >"$out/capture.spec"
"$gen_init_cpio" "$out/capture.spec" >"$out/capture.cpio"
cat >"$out/payload.spec" <<SPEC
dir /guest 0755 0 0
file /guest/Image $out/Image 0644 0 0
file /guest/initrd.cpio $out/initrd.cpio 0644 0 0
file /guest/capture.cpio $out/capture.cpio 0644 0 0
file /guest/run.sh $TOP/guest/run.sh 0755 0 0
file /guest/bare.elf $out/bare.elf 0644 0 0
SPEC
echo "file /guest/Image-series $CACHE/out-guest-series/Image 0644 0 0" >>"$out/payload.spec"
"$gen_init_cpio" "$out/payload.spec" >"$out/payload.cpio"
