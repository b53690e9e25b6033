#!/usr/bin/env bash
# Install what the harness needs: Debian packages, rust-src and bindgen.
# Idempotent: does nothing when everything is already there.
source "$(dirname "$0")/lib.sh"

PACKAGES=(clang-19 lld-19 llvm-19 libclang-19-dev gcc-aarch64-linux-gnu
	  libc6-dev-arm64-cross qemu-system-arm bc flex bison libelf-dev
	  libssl-dev cpio kmod rsync xz-utils python3-ply python3-git
	  valgrind dpkg-dev pkgconf python3-venv)
BINDGEN_VERSION=0.71.1
CARGO_FUZZ_VERSION=0.13.2

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "adding rust-src"
	rustup component add rust-src
fi

if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION"
	cargo install --locked "bindgen-cli@$BINDGEN_VERSION"
fi

# The fuzz target needs cargo-fuzz and a nightly toolchain; without the
# toolchain the test command skips the fuzz run and says so.
if rustup toolchain list | grep -q '^nightly' && ! cargo fuzz --version >/dev/null 2>&1; then
	log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
	cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# The kernel source comes from Debian through our own apt state
# (lib.sh), not from the machine's; kernel.sh checks the toolchain
# against its scripts/min-tool-version.sh.
version=$(kernel_source_version)
upstream=${version%%-*}
if [ -z "${KVM_SDEI_KERNEL_TARBALL:-}" ] &&
   dpkg --compare-versions "$upstream" lt "$KERNEL_MIN_VERSION"; then
	die "$KERNEL_PACKAGE $version is older than $KERNEL_MIN_VERSION"
fi
