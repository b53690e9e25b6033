#!/usr/bin/env bash
# Build the Rust module out of tree against the cached kernel. The sources
# are mirrored into the cache first, because Kbuild writes its
# outputs next to the sources and the checkout must stay clean.
source "$(dirname "$0")/lib.sh"

src=$CACHE/module-$VARIANT
mkdir -p "$src"
rsync -a --delete --include='*/' --include='*.rs' --include='Kbuild' \
	--exclude='target/' --exclude='*' \
	--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' --filter='P *.mod*' \
	--filter='P Module.symvers' --filter='P modules.order' --filter='P *.d' \
	"$TOP/Kbuild" "$TOP/rust" "$src/"

log "module: building kvm_sdei.ko"
make -C "$KBUILD" M="$src" ARCH=arm64 LLVM=1 -j"$JOBS" ${CLIPPY:+CLIPPY=1} modules
mkdir -p "$OUT"
cp "$src/rust/kvm_sdei.ko" "$OUT/kvm_sdei.ko"
