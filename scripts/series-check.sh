#!/usr/bin/env bash
# Every step of the series builds: apply patches/ one at a time with git am
# to a clean linux-source-7.3 tree, build the kernel (KVM is built in)
# after each, then the module against the whole series (it uses every
# hook). Run it before changing patches/; make test applies and
# checkpatches the series, but builds only its end.
export KVM_SDEI_VARIANT=series
source "$(dirname "$0")/lib.sh"

# The source is unpacked, as a git tree with the tag base, by kernel.sh.
KVM_SDEI_VARIANT=test "$TOP/scripts/kernel.sh"
src=$CACHE/src/series
[ -d "$src" ] || git -C "$KSRC" worktree add -q -f "$src" base
git -C "$src" am --abort >/dev/null 2>&1 || true
git -C "$src" checkout -q -f -B series base

KMAKE=(make -C "$src" O="$KBUILD" ARCH=arm64 LLVM=1 -j"$JOBS")
mkdir -p "$KBUILD"
cp "$TOP/scripts/kernel.config" "$KBUILD/kvm-sdei.config"
"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$KBUILD/kvm-sdei.config" allnoconfig

build() { # what
	local start=$SECONDS
	"${KMAKE[@]}" -s Image modules modules_prepare >"$KBUILD/build.log" 2>&1 ||
		{ tail -30 "$KBUILD/build.log" >&2; die "$1 does not build"; }
	if grep -E '(warning|error):' "$KBUILD/build.log" >&2; then
		die "$1 builds with warnings"
	fi
	echo "builds: $1 ($((SECONDS - start)) s)"
}

build "the base, $(cat "$KSRC/.kvm-sdei-version")"
n=0
for p in "${SERIES[@]/#/$TOP/}"; do
	git -C "$src" -c user.name=kvm-sdei -c user.email=kvm-sdei@localhost \
		am -q --whitespace=nowarn "$p" || die "$(basename "$p") does not apply"
	n=$((n + 1))
	build "$(basename "$p")"
done
"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$KBUILD/usr"
CLIPPY=1 "$TOP/scripts/module.sh" >"$KBUILD/module.log" 2>&1 ||
	{ cat "$KBUILD/module.log" >&2; die "the module does not build on the series"; }
echo "builds: the module, on all $n patches"
echo "$((n + 2)) passed, 0 failed"
