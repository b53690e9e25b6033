#!/usr/bin/env bash
# Run every test: the core's host tests, the static checks, and the KVM
# selftests in QEMU with KVM in VHE and in nVHE mode. Ends with the line
# "N passed, N failed, N skipped" over all of them.
source "$(dirname "$0")/lib.sh"

passed=0 failed=0 skipped=0
failures=()
mkdir -p "$OUT"

pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL: $1" >&2; }
add_counts() { # passed failed skipped what
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
	[ "$2" = 0 ] || failures+=("$4")
}
finish() {
	echo
	for f in "${failures[@]}"; do echo "failed: $f"; done
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

"$TOP/scripts/setup.sh"

log "host: the SDEI core (cargo)"
export CARGO_TARGET_DIR=$CACHE/cargo-target
cd "$TOP/rust"
# The glue is not part of the host crate: check it on its own.
if cargo fmt --check && rustfmt --edition 2021 --check kvm_sdei.rs; then
	pass "rustfmt"
else
	fail "rustfmt (run make fmt)"
fi
if cargo clippy -q --all-targets -- -D warnings; then pass "clippy (host)"; else fail "clippy (host)"; fi
cargo_log=$OUT/cargo-test.log
set +e
cargo test -- --show-output 2>&1 | tee "$cargo_log"
cargo_status=${PIPESTATUS[0]}
set -e
read -r p f i < <(awk '/^test result:/ { p += $4; f += $6; i += $8 } END { print p+0, f+0, i+0 }' "$cargo_log")
add_counts "$p" "$f" "$i" "cargo test"
[ "$cargo_status" = 0 ] || [ "$f" != 0 ] || fail "cargo test exited with status $cargo_status"

log "host: fuzz smoke run (the long run is in Documentation/testing.rst)"
if rustup toolchain list | grep -q '^nightly' && cargo fuzz --version >/dev/null 2>&1; then
	mkdir -p "$CACHE/fuzz-corpus" "$CACHE/fuzz-artifacts"
	if (cd fuzz && cargo +nightly fuzz run call_sequences --target-dir "$CACHE/fuzz-target" \
		"$CACHE/fuzz-corpus" -- -runs=100000 -max_len=1024 -seed=1 \
		-artifact_prefix="$CACHE/fuzz-artifacts/" 2>&1 | tail -3); then
		pass "fuzz smoke run (100000 inputs)"
	else
		fail "fuzz smoke run: the crashing input is in $CACHE/fuzz-artifacts/"
	fi
else
	skipped=$((skipped + 1))
	echo "SKIP: fuzz smoke run: no nightly toolchain with cargo-fuzz on this machine"
fi
cd "$TOP"

if ! "$TOP/scripts/kernel.sh"; then
	fail "kernel build (see the error above)"
	finish
fi

log "checks: checkpatch --strict on patches/"
# From the kernel tree's root, as checkpatch expects; Debian's python3
# has the modules its SPDX check needs.
if (cd "$KSRC" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q "${SERIES[@]/#/$TOP/}"); then
	pass "checkpatch --strict"
else
	fail "checkpatch --strict on patches/"
fi

# The guest series, and make bench's (test-only) guest patch.
for dir in guest/patches guest/bench; do
	mapfile -t guest_patches < <(ls "$TOP/$dir"/*.patch | grep -v '/0000-cover-letter.patch$')
	if (cd "$KSRC" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q "${guest_patches[@]}"); then
		pass "checkpatch --strict on $dir/"
	else
		fail "checkpatch --strict on $dir/"
	fi
done
# The test modules are kernel code too, if no part of the series.
if (cd "$KSRC" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q -f \
	"$TOP"/selftests/modules/*.[ch]); then
	pass "checkpatch --strict on selftests/modules/"
else
	fail "checkpatch --strict on selftests/modules/"
fi

if CLIPPY=1 "$TOP/scripts/module.sh" 2>&1 | tee "$OUT/module-build.log"; then
	if grep -q -E '^(warning|error)' "$OUT/module-build.log"; then
		fail "module build has rustc or clippy warnings"
	else
		pass "module build (rustc + clippy, no warnings)"
	fi
else
	fail "module build"
	finish
fi
if ! "$TOP/scripts/selftests.sh"; then
	fail "selftests build"
	finish
fi

# Every selftest must be in the plan, or it would silently never run
# (benchmarks, *_bench.c, are run by make bench instead). The series'
# own SDEI selftests run from /tests/kvm/, as KVM's others do.
for t in "$TOP"/selftests/*.c; do
	case $t in *_bench.c) continue ;; esac
	grep -q "/tests/$(basename "$t" .c)\b" "$TOP/selftests/plan" ||
		fail "selftest $(basename "$t") is missing from selftests/plan"
done
for t in "$KSRC"/tools/testing/selftests/kvm/arm64/{sdei_*,async_pf_test}.c; do
	grep -q "^run /tests/kvm/$(basename "$t" .c)\b" "$TOP/selftests/plan" ||
		fail "the series' selftest $(basename "$t") is missing from selftests/plan"
	grep -q "^skip /tests/kvm/$(basename "$t" .c)\b" "$TOP/selftests/plan" ||
		[ "$(basename "$t")" = sdei_version.c ] ||
		fail "the series' selftest $(basename "$t") is not run without a provider"
done

# The guest tests: an unmodified Linux guest under Debian's arm64 QEMU,
# run inside the test machine.
guest_payload=()
if "$TOP/guest/build.sh"; then
	guest_payload=("$VMM_CPIO" "$CACHE/out-guest/payload.cpio")
else
	fail "guest build: Debian's QEMU, the guest kernel or its initramfs (see above)"
fi
# Our QEMU, for the host's NMI: Debian's source with qemu/patches/.
nmi_payload=()
if ((${#guest_payload[@]})) && "$TOP/qemu/build.sh"; then
	nmi_payload=("${guest_payload[@]}" "$CACHE/qemu-nmi/qemu.cpio")
	# QEMU's own checkpatch, from the tree the patches applied to. Patch 1
	# adds KVM_CAP_ARM_SDEI to linux-headers/ by hand until a kernel has
	# it: the one warning allowed.
	mapfile -t qemu_patches < <(ls "$TOP"/qemu/patches/*.patch | grep -v '/0000-cover-letter.patch$')
	report=$(cd "$CACHE/qemu-nmi/src" && ./scripts/checkpatch.pl "${qemu_patches[@]}" 2>&1) || true
	if [ "$(echo "$report" | grep -c '^total: 0 errors')" = "${#qemu_patches[@]}" ] &&
	   ! echo "$report" | grep -E '^(ERROR|WARNING)' |
		grep -v -q 'imported from Linux, are you using scripts/update-linux-headers.sh'; then
		pass "QEMU's checkpatch on qemu/patches/"
	else
		echo "$report"
		fail "QEMU's checkpatch on qemu/patches/"
	fi
else
	fail "QEMU build: Debian's source package with qemu/patches/ (see above)"
fi

# A QEMU run keeps about one core busy (one vCPU that runs or spins at a
# time: 4m01s of CPU in a 4m26s run, measured), so two run at once, each
# pair sharing the two cores; KVM_SDEI_QEMU_RUNS=1 runs them one by one.
# Each run's output is printed whole when it ends, the longest first.
# Postcopy runs alone: it judges one task's rate against another's, which
# a neighbour's changing load skews (73% in one paired run, 104-133% alone).
QEMU_RUNS=${KVM_SDEI_QEMU_RUNS:-2}
declare -A run_name=() run_what=() run_mode=()
collect_run() { # pid
	local name=${run_name[$1]} what=${run_what[$1]} mode=${run_mode[$1]}
	unset "run_name[$1]" "run_what[$1]" "run_mode[$1]"
	cat "$OUT/$name.out"
	if [ -f "$OUT/$name.result" ]; then
		read -r p f s <"$OUT/$name.result"
		add_counts "$p" "$f" "$s" "$what in QEMU, KVM $mode (log: $OUT/$name.log)"
	else
		fail "$what in QEMU, KVM $mode: no result"
	fi
}
wait_for_a_run() {
	local done_pid
	wait -n -p done_pid "${!run_name[@]}" || true
	collect_run "$done_pid"
}
in_qemu() { # plan mode name what [cpio...]
	local plan=$1 mode=$2 name=$3 what=$4 runs=$QEMU_RUNS
	shift 4
	case $name in postcopy-*) runs=1 ;; esac
	while ((${#run_name[@]} >= runs)); do wait_for_a_run; done
	log "qemu: $name starts ($what, KVM $mode)"
	"$TOP/scripts/qemu.sh" "$plan" "$mode" "$name" "$@" >"$OUT/$name.out" 2>&1 &
	run_name[$!]=$name run_what[$!]=$what run_mode[$!]=$mode
}
# What the runs share is built before they start.
build_test_init
build_gen_init_cpio >/dev/null
"$TOP/scripts/emulator.sh" >/dev/null || fail "the emulator for nested mode (see above)"

# Upstream's SDEI NMI service in the unmodified guest, under Debian's
# QEMU, in both modes: backtraces, the hard lockup report, the crash stop
# and kdump, each beside its control without SDEI.
if ((${#guest_payload[@]})); then
	for mode in vhe nvhe; do
		in_qemu "$TOP/guest/plan.nmi" "$mode" "guest-nmi-$mode" \
			"the Linux guest's SDEI NMI service" "${guest_payload[@]}"
	done
fi
# The host's NMI through our QEMU, in both modes: KVM_NMI kicks a vCPU
# that each mode enters differently.
if ((${#nmi_payload[@]})); then
	for mode in vhe nvhe; do
		in_qemu "$TOP/qemu/plan" "$mode" "hostnmi-$mode" \
			"the host's NMI through our QEMU" "${nmi_payload[@]}"
	done
fi
# Migration and the host upgrade, in VHE only: they move registers, which
# nVHE does not change.
((${#guest_payload[@]})) &&
	in_qemu "$TOP/guest/plan" vhe guest-vhe "the Linux guest, migrated" "${guest_payload[@]}"
for mode in vhe nvhe; do
	in_qemu "$TOP/selftests/plan" "$mode" "selftests-$mode" selftests
done
# Nested vCPUs need FEAT_NV2: Debian's newest QEMU emulates this machine.
in_qemu "$TOP/selftests/plan.nested" nested selftests-nested "selftests (nested vCPUs)"
# Protected mode: the module loads and no VM gets SDEI.
in_qemu "$TOP/selftests/plan.protected" protected selftests-protected "selftests (protected mode)"
# Postcopy with the guest series, in both modes: each event entry is
# committed to the guest's registers differently under nVHE.
if ((${#guest_payload[@]})); then
	for mode in vhe nvhe; do
		in_qemu "$TOP/guest/plan.postcopy" "$mode" "postcopy-$mode" \
			"the Linux guest in postcopy" "${guest_payload[@]}"
		# Alone, so nothing starts beside it either.
		wait_for_a_run
	done
fi
while ((${#run_name[@]})); do wait_for_a_run; done

finish
