#!/usr/bin/env bash
# Cross-build, for arm64 and statically linked, the kernel's KVM selftests
# that our runs use (the series' own arm64/sdei_* among them) and our
# selftests/, using the selftest Makefile itself so that our tests get
# exactly the flags and library the in-tree tests get.
source "$(dirname "$0")/lib.sh"

kvm=$KSRC/tools/testing/selftests/kvm
build=$CACHE/selftests
# The selftest Makefile builds sources relative to its own directory.
ln -sfn "$TOP/selftests" "$kvm/kvm_sdei"

tests=()
for t in "$TOP"/selftests/*.c; do
	tests+=("kvm_sdei/$(basename "$t" .c)")
done
# The selftests the series adds (SDEI and async PF), as its Makefile.kvm
# lists them.
mapfile -t series_tests < <(sed -n \
	's#^TEST_GEN_PROGS_arm64 += \(arm64/sdei_[a-z0-9_]*\|arm64/async_pf_test\)$#\1#p' \
	"$kvm/Makefile.kvm")
[ ${#series_tests[@]} -gt 0 ] || die "selftests: the series adds no arm64/sdei_* test"
tests+=("${series_tests[@]}" "${KVM_OWN_TESTS[@]}")

log "selftests: building ${#tests[@]} programs"
mkdir -p "$build"
if ! make -C "$kvm" -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
	OUTPUT="$build" LDLIBS="-static -ldl" \
	KHDR_INCLUDES="-isystem $KBUILD/usr/include" \
	TEST_GEN_PROGS_arm64="${tests[*]}" TEST_GEN_PROGS_EXTENDED_arm64= \
	-j"$JOBS" all >"$build/make.log" 2>&1; then
	cat "$build/make.log" >&2
	die "selftests: build failed"
fi
# Static glibc warns about dlopen() in libdl, which the tests never call.
grep -v 'statically linked applications requires at runtime' "$build/make.log" >&2 || true
for t in "${tests[@]}"; do
	[ -x "$build/$t" ] || die "selftest $t did not build"
done

mkdir -p "$OUT/tests" "$OUT/tests/kvm"
for t in "${tests[@]}"; do
	case $t in
	kvm_sdei/*) cp "$build/$t" "$OUT/tests/" ;;
	*) cp "$build/$t" "$OUT/tests/kvm/" ;;
	esac
done
