# Shared settings for the harness scripts; sourced, never run.
# shellcheck shell=bash

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything built lives here, outside the checkout.
CACHE=${KVM_SDEI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-sdei}
# The base: Debian's linux-source-7.3 (trixie-backports), fetched through
# an apt state of our own (debian_apt below). KVM_SDEI_KERNEL_TARBALL
# points at a tarball instead.
KERNEL_PACKAGE=linux-source-7.3
KERNEL_MIN_VERSION=7.3.4
JOBS=${KVM_SDEI_JOBS:-$(nproc)}

KSRC=$CACHE/src/$KERNEL_PACKAGE
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
# debug-exceptions is left out: see Documentation/testing.rst.
KVM_OWN_TESTS=(arm64/hypercalls get-reg-list arm64/psci_test arm64/smccc_filter
	       arm64/vcpu_width_config arm64/set_id_regs arm64/aarch32_id_regs
	       arm64/vgic_init kvm_create_max_vcpus
	       arm64/page_fault_test demand_paging_test)

# The guest tests' VMM: Debian's arm64 QEMU from trixie-backports (11.1),
# or from bookworm (7.2) with KVM_SDEI_GUEST_QEMU=bookworm (guest/vmm.sh).
GUEST_QEMU_SUITE=${KVM_SDEI_GUEST_QEMU:-trixie}
case $GUEST_QEMU_SUITE in
trixie | bookworm) ;;
*) echo "KVM_SDEI_GUEST_QEMU must be trixie or bookworm" >&2; exit 1 ;;
esac
VMM_CPIO=$CACHE/vmm-$GUEST_QEMU_SUITE/vmm.cpio

export PATH=/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH
KMAKE=(make -C "$KSRC" O="$KBUILD" ARCH=arm64 LLVM=1 -j"$JOBS")

# Each line carries the seconds since the top-level command started, so
# that a log shows what each phase costs.
export KVM_SDEI_T0=${KVM_SDEI_T0:-$(date +%s)}
log() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$(($(date +%s) - KVM_SDEI_T0))" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The series, without its cover letter (mail, not a patch git am applies),
# as paths relative to $TOP.
mapfile -t SERIES < <(cd "$TOP" && ls patches/*.patch | grep -v '^patches/0000-cover-letter.patch$')

# Hash of files' contents (and names), for cache keys.
content_hash() { (cd "$TOP" && sha256sum "$@" | sha256sum | cut -c1-16); }

# The test machine's /init (scripts/init.c), rebuilt when it changes.
build_test_init() {
	if [ ! -x "$OUT/init" ] || [ "$TOP/scripts/init.c" -nt "$OUT/init" ]; then
		aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$OUT/init" "$TOP/scripts/init.c"
	fi
}

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
			die "$p does not apply to $(git -C "$tree" log -1 --format=%s base)"
	done
}

# Sets APT_CONFIG to an apt state of our own under $1, for Debian suite
# $2 (bookworm, trixie with trixie-backports preferred, or sid-source:
# sid's source packages) and architecture $3, and updates its lists once. The machine's sources,
# lists and dpkg are never touched.
debian_apt() { # dir suite arch
	local dir=$1 suite=$2 arch=$3 key=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/none"
	touch "$dir/state/status"
	case $suite in
	bookworm) printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' \
		"$key" bookworm "$key" bookworm-updates ;;
	trixie) printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' \
		"$key" trixie "$key" trixie-backports ;;
	# Source packages only (qemu/build.sh).
	sid-source) printf 'deb-src [signed-by=%s] http://deb.debian.org/debian sid main\n' "$key" ;;
	*) die "debian_apt: unknown suite $suite" ;;
	esac >"$dir/sources.list"
	cat >"$dir/apt.conf" <<-CONF
	APT::Architecture "$arch";
	APT::Architectures { "$arch"; };
	APT::Sandbox::User "root";
	Dir::State "$dir/state";
	Dir::State::status "$dir/state/status";
	Dir::Cache "$dir/cache";
	Dir::Etc::SourceList "$dir/sources.list";
	Dir::Etc::SourceParts "$dir/none";
	Dir::Etc::Preferences "$dir/none";
	Dir::Etc::PreferencesParts "$dir/none";
	CONF
	case $suite in
	bookworm | trixie) echo "APT::Default-Release \"${suite/trixie/trixie-backports}\";" >>"$dir/apt.conf" ;;
	esac
	export APT_CONFIG=$dir/apt.conf
	# Lists older than a day may name packages the mirror has dropped.
	if [ -z "$(find "$dir/updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get update -qq
		touch "$dir/updated"
	fi
}

# Fills $1/root with Debian programs of suite $2 and architecture $3 and,
# transitively, every library they load (from their packages' own
# dependencies), at the paths the programs name: nothing is installed.
# Usage: debian_programs dir suite arch package... -- program...
# Programs are paths in the unpacked packages; $1/debs keeps the packages
# until the caller removes it.
debian_programs() {
	local dir=$1 suite=$2 arch=$3 triplet packages=() programs=() f deb
	shift 3
	while [ "$1" != -- ]; do packages+=("$1"); shift; done
	shift
	programs=("$@")
	case $arch in
	arm64) triplet=aarch64-linux-gnu programs+=(lib/ld-linux-aarch64.so.1) ;;
	amd64) triplet=x86_64-linux-gnu programs+=(lib64/ld-linux-x86-64.so.2) ;;
	*) die "debian_programs: unknown architecture $arch" ;;
	esac
	rm -rf "$dir/debs" "$dir/extract" "$dir/root"
	mkdir -p "$dir/debs" "$dir/extract" "$dir/root"
	(
		debian_apt "$CACHE/debian/apt-$suite-$arch" "$suite" "$arch"
		mapfile -t deps < <(apt-cache depends --recurse --no-recommends \
			--no-suggests --no-conflicts --no-breaks --no-replaces \
			--no-enhances "${packages[@]}" | grep -v -e '^ ' -e '^<' | sort -u)
		cd "$dir/debs"
		# A download cut short by the mirror is tried once more.
		apt-get download -qq "${deps[@]}" || apt-get download -qq "${deps[@]}"
	) || die "could not fetch Debian's $arch ${packages[*]} ($suite)"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/extract"
	done
	# A merged-/usr suite (trixie) ships /bin and /lib under /usr.
	_extracted() {
		if [ -e "$dir/extract/$1" ]; then echo "$dir/extract/$1"; else echo "$dir/extract/usr/$1"; fi
	}
	_find_lib() {
		local d
		for d in lib/$triplet usr/lib/$triplet; do
			[ -e "$dir/extract/$d/$1" ] && { echo "$d/$1"; return; }
		done
		die "debian_programs: no package provides $1"
	}
	local queue=("${programs[@]}") soname
	local -A seen
	while ((${#queue[@]})); do
		f=${queue[0]} queue=("${queue[@]:1}")
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		mkdir -p "$dir/root/$(dirname "$f")"
		cp -L "$(_extracted "$f")" "$dir/root/$f"
		while read -r soname; do
			queue+=("$(_find_lib "$soname")")
		done < <(readelf -d "$(_extracted "$f")" 2>/dev/null |
			 sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	done
	rm -rf "$dir/extract"
}

# Prints the version of the kernel source the build uses, fetching
# Debian's $KERNEL_PACKAGE into the cache first if it is not there.
kernel_source_version() {
	if [ -n "${KVM_SDEI_KERNEL_TARBALL:-}" ]; then
		basename "$KVM_SDEI_KERNEL_TARBALL"
		return
	fi
	local dir=$CACHE/debian/$KERNEL_PACKAGE
	if [ ! -f "$dir/version" ]; then
		(
			debian_apt "$CACHE/debian/apt-trixie-amd64" trixie amd64
			rm -rf "$dir" && mkdir -p "$dir/deb"
			cd "$dir/deb" && apt-get download -qq "$KERNEL_PACKAGE"
			dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
			mv "$dir/root/usr/src/$KERNEL_PACKAGE.tar.xz" "$dir/"
			dpkg-deb -f "$dir"/deb/*.deb Version >"$dir/version.new"
			rm -rf "$dir/deb" "$dir/root"
			mv "$dir/version.new" "$dir/version"
		) >&2 || die "could not fetch $KERNEL_PACKAGE from Debian"
	fi
	cat "$dir/version"
}

# The tarball kernel_source_version fetched (or the one given).
kernel_tarball() {
	echo "${KVM_SDEI_KERNEL_TARBALL:-$CACHE/debian/$KERNEL_PACKAGE/$KERNEL_PACKAGE.tar.xz}"
}

# The toolchain must meet the unpacked kernel's scripts/min-tool-version.sh.
check_toolchain() {
	local tool have need
	for tool in rustc bindgen llvm; do
		case $tool in
		rustc) have=$(rustc --version | cut -d' ' -f2) ;;
		bindgen) have=$(bindgen --version | cut -d' ' -f2) ;;
		llvm) have=$(clang --version | sed -n 's/.*clang version \([0-9.]*\).*/\1/p') ;;
		esac
		need=$(SRCARCH=arm64 sh "$KSRC/scripts/min-tool-version.sh" "$tool")
		dpkg --compare-versions "$have" ge "$need" ||
			die "$tool $have is older than $need, which $KERNEL_PACKAGE needs"
	done
}
