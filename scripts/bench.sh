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
# The Linux guest's benchmark (SDEI event 0 against an IPI) runs in the
# same machine: its guest kernel carries guest/bench/ too.
KVM_SDEI_GUEST_VARIANT=bench "$TOP/guest/build.sh"
"$TOP/scripts/qemu.sh" "$TOP/scripts/bench.plan" vhe bench \
	"$VMM_CPIO" "$CACHE/out-guest-bench/payload.cpio" >/dev/null || true
section() {
	awk -v t="/tests/$1" '{ sub(/\r$/, "") } $0 == "# run " t || index($0, "# run " t " ") == 1 { on = 1; next } /^# \/tests\/.* took/ { on = 0 } on' \
		"$OUT/bench.log" | grep -a -v -e '^\[' -e '^Random seed' | grep . ||
		die "$1 printed nothing (log: $OUT/bench.log)"
}
section sdei_bench
log "bench: SDEI against the GIC, vCPU to vCPU and host to vCPU, with exits and kicks from the tracepoints"
section sdei_latency_bench
log "bench: async PF, one vCPU: task A reads pages userfaultfd brings after a fixed delay, task B works (TCG)"
section sdei_apf_bench
log "bench: a Linux guest, SIGNAL to handler entry on another vCPU against an IPI round trip"
grep -a 'sdei_nmi_bench: ' "$OUT/bench.log" | sed 's/^guest| \[ *[0-9.]*\] //' ||
	die "the Linux guest's benchmark printed nothing (log: $OUT/bench.log)"
log "bench: postcopy, one vCPU: a task writing 16 MiB that postcopy fetches page by page, and a counting task"
grep -a -E '^guest\| (GUEST-TEST: postcopy|.*kvm-async-pf)' "$OUT/bench.log" ||
	die "the postcopy guest printed nothing (log: $OUT/bench.log)"
awk '/^guest\| GUEST-TEST: postcopy: .* the slowest took/ {
	for (i = 1; i <= NF; i++) if ($i == "took") ms[++n] = $(i + 1)
     }
     END {
	if (n == 2 && ms[2] > 0)
		printf "writer'"'"'s slowest pass, with async PF against without: %.2fx (TCG)\n", ms[1] / ms[2]
     }' "$OUT/bench.log"
