#!/usr/bin/env bash
# Every step of the series builds and keeps KVM's selftests green: apply
# patches/ one at a time with git am to a clean linux-source-7.3 tree,
# build the kernel (KVM is built in) after each without a warning, and,
# where the patch touches code, build that step's KVM selftests and run
# them in QEMU (VHE, no provider: the module needs the whole series). Last,
# build the module against the whole series (it uses every hook). Run it
# before changing patches/; make test applies and checkpatches the series,
# and runs the selftests on its end only.
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

# This step's KVM selftests: KVM's own that make test runs, and the
# series' arm64/sdei_* once it has them, which must skip without a
# provider, except sdei_version, which checks that no VM gets SDEI.
selftests_step() { # what
	local kvm=$src/tools/testing/selftests/kvm build=$KBUILD/selftests-step t
	local -a tests sdei
	rm -rf "$build" "$OUT/tests"
	mkdir -p "$build" "$OUT/tests/kvm"
	"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$KBUILD/usr" >/dev/null
	mapfile -t sdei < <(sed -n \
		's#^TEST_GEN_PROGS_arm64 += \(arm64/sdei_[a-z0-9_]*\|arm64/async_pf_test\)$#\1#p' \
		"$kvm/Makefile.kvm")
	tests=("${KVM_OWN_TESTS[@]}" "${sdei[@]}")
	make -C "$kvm" -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- OUTPUT="$build" \
		LDLIBS="-static -ldl" KHDR_INCLUDES="-isystem $KBUILD/usr/include" \
		TEST_GEN_PROGS_arm64="${tests[*]}" TEST_GEN_PROGS_EXTENDED_arm64= \
		-j"$JOBS" all >"$build/make.log" 2>&1 ||
		{ tail -30 "$build/make.log" >&2; die "$1: the KVM selftests do not build"; }
	for t in "${tests[@]}"; do
		cp "$build/$t" "$OUT/tests/kvm/" || die "$1: selftest $t did not build"
	done
	{
		sed -n '/^rmmod/,$ { /\/tests\/kvm\/sdei_/d; /^\(run\|known-failure\) \/tests\/kvm\//p }' \
			"$TOP/selftests/plan"
		for t in "${sdei[@]}"; do
			t=$(basename "$t")
			case $t in
			sdei_version) echo "run /tests/kvm/$t --no-provider" ;;
			*) echo "skip /tests/kvm/$t" ;;
			esac
		done
	} >"$OUT/plan"
	"$TOP/scripts/qemu.sh" "$OUT/plan" vhe "selftests-$n" >/dev/null ||
		die "$1: KVM's selftests fail (log: $OUT/selftests-$n.log)"
	echo "selftests: $1: $(cat "$OUT/selftests-$n.result") (passed failed skipped)"
}

build "the base, $(cat "$KSRC/.kvm-sdei-version")"
n=0
checked=0
for p in "${SERIES[@]/#/$TOP/}"; do
	git -C "$src" -c user.name=kvm-sdei -c user.email=kvm-sdei@localhost \
		am -q --whitespace=nowarn "$p" || die "$(basename "$p") does not apply"
	n=$((n + 1))
	build "$(basename "$p")"
	# A patch that changes only documentation changes no test's outcome.
	if git -C "$src" diff --name-only HEAD~1 | grep -q -v -E '^(Documentation/|MAINTAINERS$)'; then
		selftests_step "$(basename "$p")"
		checked=$((checked + 1))
	fi
done
"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$KBUILD/usr"
CLIPPY=1 "$TOP/scripts/module.sh" >"$KBUILD/module.log" 2>&1 ||
	{ cat "$KBUILD/module.log" >&2; die "the module does not build on the series"; }
echo "builds: the module, on all $n patches"
echo "$((n + checked + 2)) passed, 0 failed"
