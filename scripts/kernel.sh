#!/usr/bin/env bash
# Build the patched arm64 kernel (Image, Rust bindings, headers) into the
# cache. The build is keyed on the kernel source version, patches/ and the
# config fragment; an unchanged key does nothing, a changed one rebuilds
# incrementally in the same build tree.
source "$(dirname "$0")/lib.sh"

version=$(kernel_source_version)
key="$VARIANT $version $(content_hash "${SERIES[@]}" scripts/kernel.config scripts/kernel.sh)"
stamp=$KBUILD/.kvm-sdei-key

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] &&
   [ -f "$KBUILD/arch/arm64/boot/Image" ]; then
	log "kernel: cached ($key)"
	exit 0
fi

if [ ! -f "$KSRC/.kvm-sdei-version" ] ||
   [ "$(cat "$KSRC/.kvm-sdei-version")" != "$version" ]; then
	log "kernel: unpacking $KERNEL_PACKAGE $version"
	rm -rf "$KSRC" "$KBUILD"
	mkdir -p "$(dirname "$KSRC")"
	tar -C "$(dirname "$KSRC")" -xf "$(kernel_tarball)"
	# Debian's .gitignore hides the whole tree: add it by force.
	git -C "$KSRC" init -q
	git -C "$KSRC" add -A -f
	git -C "$KSRC" -c user.name=kvm-sdei -c user.email=kvm-sdei@localhost \
		commit -q -m "$KERNEL_PACKAGE $version"
	git -C "$KSRC" tag base
	echo "$version" >"$KSRC/.kvm-sdei-version"
fi
check_toolchain

# Re-apply only when patches/ changed: re-applying touches the patched
# files, which would make every build tree recompile what includes them.
patches=$(content_hash "${SERIES[@]}")
if [ "$(cat "$KSRC/.kvm-sdei-patches" 2>/dev/null)" != "$patches" ] ||
   [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ]; then
	log "kernel: applying patches/"
	rm -f "$KSRC/.kvm-sdei-patches"
	apply_on_base "$KSRC" kvm-sdei "${SERIES[@]}"
	echo "$patches" >"$KSRC/.kvm-sdei-patches"
fi

log "kernel: configuring ($VARIANT)"
mkdir -p "$KBUILD"
fragment=$KBUILD/kvm-sdei.config
case $VARIANT in
bench)
	# Without lockdep nothing selects TRACING, and make bench counts
	# exits and kicks with tracepoints: ask for the event tracer.
	{
		grep -v -E '^CONFIG_(DEBUG_KERNEL|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST)=' \
			"$TOP/scripts/kernel.config"
		echo CONFIG_FTRACE=y
		echo CONFIG_ENABLE_DEFAULT_TRACERS=y
	} >"$fragment" ;;
kasan)
	cat "$TOP/scripts/kernel.config" - >"$fragment" <<-CONFIG
	CONFIG_KASAN=y
	CONFIG_KASAN_GENERIC=y
	CONFIG_UBSAN=y
	CONFIG_UBSAN_BOUNDS=y
	CONFIG_UBSAN_SHIFT=y
	CONFIG
	;;
*)
	cp "$TOP/scripts/kernel.config" "$fragment" ;;
esac
"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$fragment" allnoconfig
check_config_fragment "$fragment" "$KBUILD/.config"
if [ "$VARIANT" = kcsan ]; then
	# arm64 offers KCSAN only with EXPERT, and EXPERT under allnoconfig
	# would turn off what it unhides (BUG(), madvise()...): turn both on
	# over the test configuration instead.
	"$KSRC/scripts/config" --file "$KBUILD/.config" -e EXPERT -e KCSAN
	"${KMAKE[@]}" -s olddefconfig
	grep -qx CONFIG_KCSAN=y "$KBUILD/.config" || die "kernel config: KCSAN could not be enabled"
fi
"${KMAKE[@]}" -s rustavailable >/dev/null ||
	die "Rust toolchain not usable for the kernel (make rustavailable)"

log "kernel: building (a cold build takes about 10 minutes on 2 cores)"
rm -f "$stamp"
# "modules" runs modpost on vmlinux, which writes the Module.symvers
# out-of-tree modules link against.
"${KMAKE[@]}" Image modules modules_prepare
"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$KBUILD/usr"
echo "$key" >"$stamp"
log "kernel: built $KBUILD/arch/arm64/boot/Image"
