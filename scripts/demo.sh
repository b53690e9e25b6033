#!/usr/bin/env bash
# The main job: build everything (cached), boot the patched kernel in QEMU,
# load the module, and run a Linux guest under Debian's QEMU whose stuck
# CPU only SDEI can reach; print what happens.
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/setup.sh"
"$TOP/scripts/kernel.sh"
"$TOP/scripts/module.sh"
"$TOP/scripts/selftests.sh"
"$TOP/guest/build.sh"
mkdir -p "$OUT"
"$TOP/scripts/qemu.sh" "$TOP/scripts/demo.plan" vhe demo \
	"$VMM_CPIO" "$CACHE/out-guest/payload.cpio"
