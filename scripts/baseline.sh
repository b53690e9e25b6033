#!/usr/bin/env bash
# The baseline of KVM's own selftests (Documentation/testing.rst): Debian's
# linux-source-7.3 without patches/, built with the same configuration,
# its own selftests run in the same QEMU, in VHE and nVHE. Run by hand
# (make baseline) to compare with make test; a cold run builds a kernel.
export KVM_SDEI_VARIANT=baseline
source "$(dirname "$0")/lib.sh"

# The patched tree is where the source is unpacked; the baseline is a
# worktree of its unpatched base.
KVM_SDEI_VARIANT=test "$TOP/scripts/kernel.sh"
base_src=$CACHE/src/base
[ -d "$base_src" ] || git -C "$KSRC" worktree add -q -f "$base_src" base

if [ ! -f "$KBUILD/arch/arm64/boot/Image" ]; then
	log "baseline: building the unpatched kernel"
	mkdir -p "$KBUILD"
	cp "$TOP/scripts/kernel.config" "$KBUILD/kvm-sdei.config"
	KMAKE=(make -C "$base_src" O="$KBUILD" ARCH=arm64 LLVM=1 -j"$JOBS")
	"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$KBUILD/kvm-sdei.config" allnoconfig
	"${KMAKE[@]}" Image modules_prepare
	"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$KBUILD/usr"
fi

log "baseline: building KVM's own selftests from the unpatched tree"
build=$CACHE/selftests-baseline
mkdir -p "$build" "$OUT/tests/kvm"
make -C "$base_src/tools/testing/selftests/kvm" -s ARCH=arm64 \
	CROSS_COMPILE=aarch64-linux-gnu- OUTPUT="$build" LDLIBS="-static -ldl" \
	KHDR_INCLUDES="-isystem $KBUILD/usr/include" \
	TEST_GEN_PROGS_arm64="${KVM_OWN_TESTS[*]}" TEST_GEN_PROGS_EXTENDED_arm64= \
	-j"$JOBS" all >"$build/make.log" 2>&1 || { cat "$build/make.log" >&2; die "baseline selftests"; }
rm -f "$OUT/kvm_sdei.ko"
for t in "${KVM_OWN_TESTS[@]}"; do
	cp "$build/$t" "$OUT/tests/kvm/"
done
# The same steps, with the same arguments, as selftests/plan runs with the
# provider loaded (its first block, up to the rmmod).
plan=$OUT/plan
sed -n '/^rmmod/q; /\/tests\/kvm\/sdei_/d; /^\(run\|known-failure\) \/tests\/kvm\//p' "$TOP/selftests/plan" >"$plan"
for mode in vhe nvhe; do
	"$TOP/scripts/qemu.sh" "$plan" "$mode" "baseline-$mode" || true
	grep -a -E '^(ok|not ok) [0-9]+ - ' "$OUT/baseline-$mode.log"
done
