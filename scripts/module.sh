#!/usr/bin/env bash
# Build the Rust module out of tree against the cached kernel. The sources
# are mirrored into the cache first, because Kbuild writes its
# outputs next to the sources and the checkout must stay clean.
source "$(dirname "$0")/lib.sh"

src=$CACHE/module-$VARIANT
tm=$CACHE/test-modules-$VARIANT
# A changed kernel config can change struct module, and Kbuild does not
# rebuild an external module's .module-common.o for it: start afresh.
kernel_key=$(cat "$KBUILD/.config" "$KBUILD/Module.symvers" | sha256sum | cut -d' ' -f1)
for dir in "$src" "$tm"; do
	if [ "$(cat "$dir/.kvm-sdei-kernel-key" 2>/dev/null)" != "$kernel_key" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		echo "$kernel_key" >"$dir/.kvm-sdei-kernel-key"
	fi
done
rsync -a --delete --include='*/' --include='*.rs' --include='Kbuild' \
	--exclude='target/' --exclude='*' \
	--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' --filter='P *.mod*' \
	--filter='P Module.symvers' --filter='P modules.order' --filter='P *.d' \
	--filter='P .kvm-sdei-kernel-key' \
	"$TOP/Kbuild" "$TOP/rust" "$src/"

log "module: building kvm_sdei.ko"
make -C "$KBUILD" M="$src" ARCH=arm64 LLVM=1 -j"$JOBS" ${CLIPPY:+CLIPPY=1} modules
mkdir -p "$OUT"
cp "$src/rust/kvm_sdei.ko" "$OUT/kvm_sdei.ko"

# The test modules, no part of the series: sdei_guard's broken provider
# and the synthetic event source.
rsync -a "$TOP/selftests/modules/" "$tm/"
log "module: building the test modules"
make -C "$KBUILD" M="$tm" ARCH=arm64 LLVM=1 -j"$JOBS" W=1 modules
cp "$tm/sdei_bad_provider.ko" "$tm/sdei_test_inject.ko" "$OUT/"
