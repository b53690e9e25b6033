#!/usr/bin/env bash
# The benchmarks (not tests): instruction counts of the core's hot paths on
# the host, then the guest-side round trips and latencies in QEMU.
# Documentation/performance.rst says what the figures mean.
export KVM_SDEI_VARIANT=bench
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/setup.sh"
log "bench: host instruction counts (callgrind)"
"$TOP/scripts/bench-host.sh"

# A kernel without lockdep and friends (a cold build takes about 8 minutes).
"$TOP/scripts/kernel.sh"
"$TOP/scripts/module.sh"
"$TOP/scripts/selftests.sh"
mkdir -p "$OUT"
log "bench: guest round trips (QEMU TCG: ratios count, absolute times do not)"
"$TOP/scripts/qemu.sh" "$TOP/scripts/bench.plan" vhe bench >/dev/null || true
grep -a -E '^(\||virtual counter)' "$OUT/bench.log" || die "the guest benchmark printed nothing (log: $OUT/bench.log)"
