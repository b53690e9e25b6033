#!/usr/bin/env bash
# Build the guest kernel into the cache: the unmodified base source,
# configured from guest/kernel.config, so that the guest's SDEI client is
# Linux's own (CONFIG_ARM_SDEI_NMI). A plain GCC cross build: the guest
# needs no Rust. Keyed like the host kernel; an unchanged key does nothing.
#
# KVM_SDEI_GUEST_VARIANT=series builds the guest series instead: the
# host series (for its headers) and guest/patches/, with the guest's
# asynchronous page faults on. KVM_SDEI_GUEST_VARIANT=bench builds make
# bench's guest: the unmodified guest plus guest/bench/'s patch (exports
# for the benchmark module, not for upstream) and that module. Each has
# a build tree of its own.
source "$(dirname "$0")/../scripts/lib.sh"

GUEST_VARIANT=${KVM_SDEI_GUEST_VARIANT:-test}
guest_series=()
case $GUEST_VARIANT in
test) suffix= ;;
series) suffix=-series
	mapfile -t guest_series < <(cd "$TOP" && printf '%s\n' "${SERIES[@]}" &&
		ls guest/patches/*.patch | grep -v '/0000-cover-letter.patch$') ;;
bench) suffix=-bench
       mapfile -t guest_series < <(cd "$TOP" && ls guest/bench/*.patch) ;;
*) die "KVM_SDEI_GUEST_VARIANT must be test, series or bench" ;;
esac
GUEST_SRC=$CACHE/src/guest$suffix
GUEST_BUILD=$CACHE/build-guest$suffix
GUEST_OUT=$CACHE/out-guest$suffix

version=$(kernel_source_version)
key_files=("${guest_series[@]}" guest/kernel.config guest/kernel.sh)
[ "$GUEST_VARIANT" = series ] && key_files+=(guest/patches/kernel.config)
[ "$GUEST_VARIANT" = bench ] &&
	key_files+=(guest/bench/Kbuild guest/bench/sdei_nmi_bench.c guest/bench/kernel.config)
key="guest $GUEST_VARIANT $version $(content_hash "${key_files[@]}")"
stamp=$GUEST_BUILD/.kvm-sdei-key
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] &&
   [ -f "$GUEST_OUT/Image" ] && [ -f "$GUEST_OUT/test_lockup.ko" ] &&
   { [ "$GUEST_VARIANT" = test ] || [ -f "$GUEST_OUT/sdei_nmi_bench.ko" ]; }; then
	log "guest kernel: cached ($key)"
	exit 0
fi

# The source tree, with the tag base, is unpacked by the host kernel's build.
[ -f "$KSRC/.kvm-sdei-version" ] || "$TOP/scripts/kernel.sh"
git -C "$KSRC" worktree prune
[ -d "$GUEST_SRC" ] || git -C "$KSRC" worktree add -q -f --detach "$GUEST_SRC" base
patches=$(content_hash "${guest_series[@]}" /dev/null)
if [ "$(cat "$GUEST_BUILD/.kvm-sdei-patches" 2>/dev/null)" != "$patches" ] ||
   [ -n "$(git -C "$GUEST_SRC" status --porcelain --untracked-files=no)" ]; then
	log "guest kernel: checking out the base"
	mkdir -p "$GUEST_BUILD"
	rm -f "$GUEST_BUILD/.kvm-sdei-patches"
	apply_on_base "$GUEST_SRC" "guest$suffix" "${guest_series[@]}"
	echo "$patches" >"$GUEST_BUILD/.kvm-sdei-patches"
fi

gmake=(make -C "$GUEST_SRC" O="$GUEST_BUILD" ARCH=arm64
       CROSS_COMPILE=aarch64-linux-gnu- -j"$JOBS")
log "guest kernel: configuring"
mkdir -p "$GUEST_BUILD" "$GUEST_OUT"
cp "$TOP/guest/kernel.config" "$GUEST_BUILD/guest.config"
# make bench's guest can also run with pseudo-NMI, to measure its price.
[ "$GUEST_VARIANT" = bench ] && cat "$TOP/guest/bench/kernel.config" >>"$GUEST_BUILD/guest.config"
[ "$GUEST_VARIANT" = series ] && cat "$TOP/guest/patches/kernel.config" >>"$GUEST_BUILD/guest.config"
"${gmake[@]}" -s KCONFIG_ALLCONFIG="$GUEST_BUILD/guest.config" allnoconfig
check_config_fragment "$GUEST_BUILD/guest.config" "$GUEST_BUILD/.config"

log "guest kernel: building (about 4 minutes cold on 2 cores)"
rm -f "$stamp"
"${gmake[@]}" -s Image modules
cp "$GUEST_BUILD/arch/arm64/boot/Image" "$GUEST_OUT/Image"
cp "$GUEST_BUILD/lib/test_lockup.ko" "$GUEST_OUT/test_lockup.ko"
if [ "$GUEST_VARIANT" = bench ]; then
	# Kbuild writes next to the sources: build a copy in the cache.
	rsync -a --delete "$TOP/guest/bench/Kbuild" "$TOP/guest/bench/sdei_nmi_bench.c" \
		"$GUEST_BUILD/bench-module/"
	"${gmake[@]}" -s M="$GUEST_BUILD/bench-module" modules
	cp "$GUEST_BUILD/bench-module/sdei_nmi_bench.ko" "$GUEST_OUT/"
fi
echo "$key" >"$stamp"
log "guest kernel: built $GUEST_OUT/Image"
