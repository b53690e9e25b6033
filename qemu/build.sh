#!/usr/bin/env bash
# Build the VMM that uses KVM_NMI: QEMU from Debian's source package with
# Debian's own patches, then ours (qemu/patches/), cross-built for arm64
# with only what the virt board needs under KVM. It is packed as a cpio
# archive that qemu.sh appends: /qemu/bin/qemu-system-aarch64, and under
# /qemu/lib the libraries it loads (Debian 12's arm64 ones, which it was
# built against), so that it sits beside Debian's unmodified QEMU.
#
# The source package, the arm64 sysroot, meson and ninja (from PyPI:
# Debian 12's meson is older than QEMU needs) come through caches of their own; the build
# is redone only when this script or a patch changes.
source "$(dirname "$0")/../scripts/lib.sh"

# The newest QEMU whose source Debian serves (sid); Debian's arm64 binary
# of 11.1 (trixie-backports) has no source package on the mirror.
QEMU_SOURCE=qemu
QEMU_SOURCE_VERSION=1:10.2.2+ds-1
MESON_VERSION=1.5.2
NINJA_VERSION=1.11.1.4
# What the build links against, and what the binary then loads.
SYSROOT_PACKAGES=(libc6-dev linux-libc-dev libglib2.0-dev libfdt-dev zlib1g-dev)

dir=$CACHE/qemu-nmi
mapfile -t PATCHES < <(cd "$TOP" && ls qemu/patches/*.patch | grep -v '/0000-cover-letter.patch$')
key="$QEMU_SOURCE_VERSION $(content_hash qemu/build.sh "${PATCHES[@]}")"
if [ -f "$dir/qemu.cpio" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
	log "qemu: cached, $(cat "$dir/version")"
	exit 0
fi

# Debian's source package, through an apt state that lists sources only.
src_pkg=$CACHE/debian/qemu-source-$QEMU_SOURCE_VERSION
if [ ! -f "$src_pkg/done" ]; then
	log "qemu: fetching Debian's source package $QEMU_SOURCE $QEMU_SOURCE_VERSION"
	(
		debian_apt "$CACHE/debian/apt-sid-source" sid-source amd64
		rm -rf "$src_pkg" && mkdir -p "$src_pkg" && cd "$src_pkg"
		apt-get source -qq --download-only "$QEMU_SOURCE=$QEMU_SOURCE_VERSION"
		touch done
	) || die "could not fetch Debian's source package $QEMU_SOURCE $QEMU_SOURCE_VERSION"
fi

# Debian 12's arm64 headers and libraries: the cross compiler's own glibc
# is Debian 12's, so the two agree.
sysroot=$CACHE/debian/sysroot-bookworm-arm64
if [ "$(cat "$sysroot.key" 2>/dev/null)" != "${SYSROOT_PACKAGES[*]}" ]; then
	log "qemu: unpacking Debian 12's arm64 ${SYSROOT_PACKAGES[*]} as a sysroot"
	rm -rf "$sysroot" "$sysroot.debs" && mkdir -p "$sysroot" "$sysroot.debs"
	(
		debian_apt "$CACHE/debian/apt-bookworm-arm64" bookworm arm64
		# Their libraries and headers; the tools they depend on are not needed.
		mapfile -t deps < <(apt-cache depends --recurse --no-recommends \
			--no-suggests --no-conflicts --no-breaks --no-replaces \
			--no-enhances "${SYSROOT_PACKAGES[@]}" | grep -v -e '^ ' -e '^<' |
			grep -E '^(lib|linux-libc-dev|zlib1g)' | grep -v -E '^lib(python|perl)' | sort -u)
		cd "$sysroot.debs"
		apt-get download -qq "${deps[@]}" || apt-get download -qq "${deps[@]}"
	) || die "could not fetch Debian 12's arm64 libraries"
	for deb in "$sysroot.debs"/*.deb; do
		dpkg-deb -x "$deb" "$sysroot"
	done
	rm -rf "$sysroot.debs"
	echo "${SYSROOT_PACKAGES[*]}" >"$sysroot.key"
fi

venv=$CACHE/meson-$MESON_VERSION-ninja-$NINJA_VERSION
if [ ! -x "$venv/bin/meson" ] || [ ! -x "$venv/bin/ninja" ]; then
	log "qemu: installing meson $MESON_VERSION and ninja $NINJA_VERSION from PyPI into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q "meson==$MESON_VERSION" "ninja==$NINJA_VERSION"
fi

# The unpacked source is kept, with Debian's patches as its base commit, so
# that a change to our patches rebuilds only what they touch.
if [ "$(cat "$dir/src/.source-version" 2>/dev/null)" != "$QEMU_SOURCE_VERSION" ]; then
	log "qemu: unpacking $QEMU_SOURCE $QEMU_SOURCE_VERSION with Debian's patches"
	rm -rf "$dir" && mkdir -p "$dir"
	dpkg-source -q -x "$src_pkg"/*.dsc "$dir/src" 2>/dev/null ||
		die "dpkg-source could not unpack $QEMU_SOURCE $QEMU_SOURCE_VERSION"
	git -C "$dir/src" init -q
	git -C "$dir/src" add -A
	git -C "$dir/src" -c user.name=kvm-sdei -c user.email=kvm-sdei@localhost \
		commit -q -m "$QEMU_SOURCE $QEMU_SOURCE_VERSION, with Debian's patches"
	git -C "$dir/src" tag base
	echo "$QEMU_SOURCE_VERSION" >"$dir/src/.source-version"
fi
log "qemu: applying qemu/patches/"
rm -f "$dir/qemu.cpio" "$dir/key"
apply_on_base "$dir/src" nmi "${PATCHES[@]}"
rm -rf "$dir/tools" && mkdir -p "$dir/tools"

# The cross compiler sees the sysroot's headers and libraries; pkg-config
# sees only the sysroot's packages.
for tool in gcc ar nm objcopy ranlib strip readelf; do
	ln -s "/usr/bin/aarch64-linux-gnu-$tool" "$dir/tools/aarch64-linux-gnu-$tool"
done
cat >"$dir/tools/aarch64-linux-gnu-pkg-config" <<-EOF
	#!/bin/sh
	PKG_CONFIG_SYSROOT_DIR=$sysroot \\
	PKG_CONFIG_LIBDIR=$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig \\
		exec pkg-config "\$@"
EOF
chmod +x "$dir/tools/aarch64-linux-gnu-pkg-config"
# The virt board, and the devices Kconfig enables by default with it (all
# of them off, with --without-default-devices, leaves CXL's ACPI code
# without CXL or its stubs); no other board, and no TCG.
echo CONFIG_ARM_VIRT=y >"$dir/src/configs/devices/aarch64-softmmu/kvm-sdei.mak"

log "qemu: configuring and building qemu-system-aarch64 (KVM only)"
mkdir -p "$dir/build"
(
	cd "$dir/build"
	export PATH=$dir/tools:$venv/bin:$PATH
	[ -f build.ninja ] || "$dir/src/configure" --cross-prefix=aarch64-linux-gnu- \
		--python="$venv/bin/python3" \
		--extra-cflags="--sysroot=$sysroot" \
		--extra-ldflags="--sysroot=$sysroot -Wl,-rpath,/qemu/lib -Wl,--dynamic-linker=/qemu/lib/ld-linux-aarch64.so.1" \
		--target-list=aarch64-softmmu --without-default-features \
		--with-devices-aarch64=kvm-sdei \
		--disable-tcg --enable-kvm --enable-fdt=system \
		--disable-docs --disable-tools --disable-install-blobs >configure.log 2>&1 ||
		{ tail -30 configure.log; die "QEMU's configure failed (log: $dir/build/configure.log)"; }
	ninja -j"$JOBS" qemu-system-aarch64 >build.log 2>&1 ||
		{ grep -B2 -A10 -m3 'error' build.log; die "the QEMU build failed (log: $dir/build/build.log)"; }
) || exit 1

# The binary and, transitively, the sysroot libraries it loads.
rm -rf "$dir/root"
mkdir -p "$dir/root/qemu/bin" "$dir/root/qemu/lib"
cp "$dir/build/qemu-system-aarch64" "$dir/root/qemu/bin/"
aarch64-linux-gnu-strip "$dir/root/qemu/bin/qemu-system-aarch64"
queue=(qemu/bin/qemu-system-aarch64)
declare -A seen
while ((${#queue[@]})); do
	f=${queue[0]} queue=("${queue[@]:1}")
	while read -r soname; do
		[ -n "${seen[$soname]:-}" ] && continue
		seen[$soname]=1
		lib=$(find "$sysroot/lib/aarch64-linux-gnu" "$sysroot/usr/lib/aarch64-linux-gnu" \
			-maxdepth 1 -name "$soname" | head -1)
		[ -n "$lib" ] || die "qemu: no sysroot library provides $soname"
		cp -L "$lib" "$dir/root/qemu/lib/"
		queue+=("qemu/lib/$soname")
	done < <(readelf -d "$dir/root/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
cp -L "$sysroot/lib/ld-linux-aarch64.so.1" "$dir/root/qemu/lib/"
(cd "$dir/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir/qemu.cpio"
echo "qemu-system-aarch64 (arm64) $QEMU_SOURCE_VERSION + ${#PATCHES[@]} patches of qemu/patches/" \
	>"$dir/version"
echo "$key" >"$dir/key"
log "qemu: $(cat "$dir/version"), $(du -sh "$dir/qemu.cpio" | cut -f1) packed"
