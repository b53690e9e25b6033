# Shared settings for the harness scripts; sourced, never run.
# shellcheck shell=bash

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything built lives here, outside the checkout.
CACHE=${KVM_SDEI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-sdei}
# The Debian source tarball we build against; 6.12.117 is the first with
# the stable fixes that let rustc >= 1.85 build 6.12.
KERNEL_TARBALL=${KVM_SDEI_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KERNEL_MIN_VERSION=6.12.117
JOBS=${KVM_SDEI_JOBS:-$(nproc)}

KSRC=$CACHE/src/linux-source-6.12
# The test kernel has lockdep and other debugging on; the bench kernel,
# built for make bench only, has them off so that it measures what users
# run. Each has its own build tree and outputs.
VARIANT=${KVM_SDEI_VARIANT:-test}
# The baseline kernel, for make baseline only, is the unpatched source.
case $VARIANT in
test) KBUILD=$CACHE/build OUT=$CACHE/out ;;
bench) KBUILD=$CACHE/build-bench OUT=$CACHE/out-bench ;;
baseline) KBUILD=$CACHE/build-baseline OUT=$CACHE/out-baseline ;;
series) KBUILD=$CACHE/build-series OUT=$CACHE/out-series ;;
# make soak's sanitizer kernels: the test kernel plus KASAN (and UBSAN),
# or plus KCSAN.
kasan) KBUILD=$CACHE/build-kasan OUT=$CACHE/out-kasan ;;
kcsan) KBUILD=$CACHE/build-kcsan OUT=$CACHE/out-kcsan ;;
*) echo "KVM_SDEI_VARIANT must be test, bench, baseline, series, kasan or kcsan" >&2; exit 1 ;;
esac

# KVM's own arm64 selftests that fit QEMU TCG, which the series must keep
# green (selftests/plan runs them with and without the provider).
KVM_OWN_TESTS=(aarch64/hypercalls get-reg-list aarch64/psci_test aarch64/smccc_filter
	       aarch64/vcpu_width_config aarch64/set_id_regs aarch64/aarch32_id_regs
	       aarch64/debug-exceptions aarch64/vgic_init kvm_create_max_vcpus)

export PATH=/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH
KMAKE=(make -C "$KSRC" O="$KBUILD" ARCH=arm64 LLVM=1 -j"$JOBS")

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The series, without its cover letter (mail, not a patch git am applies),
# as paths relative to $TOP.
mapfile -t SERIES < <(cd "$TOP" && ls patches/*.patch | grep -v '^patches/0000-cover-letter.patch$')

# Hash of files' contents (and names), for cache keys.
content_hash() { (cd "$TOP" && sha256sum "$@" | sha256sum | cut -c1-16); }

# The kernel's own cpio packer, built once; prints its path.
build_gen_init_cpio() {
	if [ ! -x "$CACHE/gen_init_cpio" ]; then
		mkdir -p "$CACHE"
		cc -O2 -o "$CACHE/gen_init_cpio" "$KSRC/usr/gen_init_cpio.c"
	fi
	echo "$CACHE/gen_init_cpio"
}

# Every CONFIG_ line of a fragment must have survived Kconfig's dependency
# checks into the resulting .config.
check_config_fragment() { # fragment config
	local line
	while read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qx "$line" "$2" ||
			die "kernel config: '$line' of $(basename "$1") was dropped (unmet dependency?)" ;;
		esac
	done <"$1"
}

# Resets the git tree $1 to the tag base on branch $2, then applies the
# patches (paths relative to $TOP) with git am, in order.
apply_on_base() { # tree branch patch...
	local tree=$1 branch=$2 p
	shift 2
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -f -B "$branch" base
	for p; do
		git -C "$tree" -c user.name=kvm-sdei -c user.email=kvm-sdei@localhost \
			am -q --whitespace=nowarn "$TOP/$p" ||
			die "$p does not apply to linux-source-6.12 $(cat "$KSRC/.kvm-sdei-version")"
	done
}
