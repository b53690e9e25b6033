# kvm-sdei: an in-kernel SDEI provider for KVM arm64 guests, in Rust.
#
#   make demo    boot the patched kernel in QEMU and run a guest using SDEI
#   make test    every test (host, checks, selftests in QEMU, VHE and nVHE)
#   make bench   benchmarks: host instruction counts, guest round trips
#
# Build outputs live in $(KVM_SDEI_CACHE), default ~/.cache/kvm-sdei.

.PHONY: demo test bench baseline series-check soak mutants setup kernel module selftests host-test fuzz fmt clean-cache

demo:
	scripts/demo.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh

kernel: setup
	scripts/kernel.sh

module: kernel
	scripts/module.sh

selftests: kernel
	scripts/selftests.sh

host-test:
	cd rust && cargo test

# Benchmarks, not tests: host instruction counts and guest round trips
# (see Documentation/performance.rst).
bench:
	scripts/bench.sh

# By hand: KVM's own selftests on the unpatched kernel, the baseline
# make test is compared with (Documentation/testing.rst).
baseline:
	scripts/baseline.sh

# Before a change to patches/: each patch applies with git am to a clean
# tree and the kernel builds after it; the module builds on the series.
series-check:
	scripts/series-check.sh

# By hand, before a change to patches/ or the glue: sdei_soak and the
# stress tests on KASAN+UBSAN and KCSAN kernels (Documentation/testing.rst).
soak:
	scripts/soak.sh

# Mutation testing of the core; Documentation/testing.rst says what the
# survivors are. The random sequences are left out: they take 10 s a run.
CARGO_MUTANTS_VERSION = 27.1.0
mutants:
	cargo mutants --version 2>/dev/null | grep -q $(CARGO_MUTANTS_VERSION) || \
		cargo install --locked cargo-mutants@$(CARGO_MUTANTS_VERSION)
	cd rust && cargo mutants -f 'sdei/*.rs' -j $$(nproc) --timeout 120 \
		-o $${KVM_SDEI_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kvm-sdei} \
		-- -- --skip random_call_sequences

# The long fuzz run (Documentation/testing.rst); FUZZ_RUNS inputs.
FUZZ_RUNS ?= 5000000
fuzz:
	cd rust/fuzz && cargo +nightly fuzz run call_sequences -- -runs=$(FUZZ_RUNS) -max_len=1024

fmt:
	cd rust && cargo fmt && rustfmt --edition 2021 kvm_sdei.rs

clean-cache:
	rm -rf $${KVM_SDEI_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kvm-sdei}
