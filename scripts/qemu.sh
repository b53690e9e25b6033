#!/usr/bin/env bash
# Usage: qemu.sh PLAN MODE NAME [CPIO...]
#
# Pack an initramfs with our /init, the module, the selftests and PLAN,
# boot the cached kernel in QEMU (KVM runs inside the emulated EL2, in VHE,
# nVHE, nested or protected MODE) and judge the run. Debian 12's QEMU emulates the
# machine; nested mode needs FEAT_NV2, so it runs under Debian's newest
# (scripts/emulator.sh). The emulated CPU has no FEAT_LPA2: with it, KVM's
# IPA limit is 52 bits, and 7.3 tears a VM's stage 2 down in 1 GiB steps
# over the whole IPA space, so the probe VM each selftest creates at the
# limit cost 16 s under TCG (1.5 s at 48 bits, measured). slub_debug=U tracks every allocation,
# which lets sdei_scale measure the provider's memory exactly. The serial log is kept in
# $OUT/NAME.log, and "passed failed skipped" in $OUT/NAME.result. Each
# CPIO archive is appended to the initramfs (the guest tests' payload).
source "$(dirname "$0")/lib.sh"

plan=$1 mode=$2 name=$3
shift 3
timeout_s=${KVM_SDEI_QEMU_TIMEOUT:-1200}
log_file=$OUT/$name.log
result=$OUT/$name.result
rm -f "$result"

emulator=qemu-system-aarch64
# KVM_SDEI_EMULATOR=trixie runs every mode under Debian's newest QEMU.
if [ "${KVM_SDEI_EMULATOR:-bookworm}" = trixie ]; then
	read -r -a emulator <<<"$("$TOP/scripts/emulator.sh")"
fi
case $mode in
vhe) mode_args= ;;
nvhe) mode_args=kvm-arm.mode=nvhe ;;
protected) mode_args=kvm-arm.mode=protected ;;
nested) mode_args=kvm-arm.mode=nested
	emulator=$("$TOP/scripts/emulator.sh") || die "no emulator for nested mode"
	read -r -a emulator <<<"$emulator" ;;
*) die "unknown KVM mode '$mode'" ;;
esac

# /init and the cpio tool are ours and the kernel's, built once.
build_test_init
gen_init_cpio=$(build_gen_init_cpio)

spec=$OUT/$name.cpio-spec
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /tests 0755 0 0"
	echo "dir /tests/kvm 0755 0 0"
	echo "file /init $OUT/init 0755 0 0"
	echo "file /plan $plan 0644 0 0"
	[ -f "$OUT/kvm_sdei.ko" ] && echo "file /kvm_sdei.ko $OUT/kvm_sdei.ko 0644 0 0"
	for m in sdei_bad_provider sdei_test_inject; do
		[ -f "$OUT/$m.ko" ] && echo "file /$m.ko $OUT/$m.ko 0644 0 0"
	done
	for t in "$OUT"/tests/*; do
		[ -f "$t" ] && echo "file /tests/$(basename "$t") $t 0755 0 0"
	done
	for t in "$OUT"/tests/kvm/*; do
		echo "file /tests/kvm/$(basename "$t") $t 0755 0 0"
	done
} >"$spec"
# The kernel unpacks concatenated archives one after the other.
"$gen_init_cpio" "$spec" | cat - "$@" >"$OUT/$name.cpio"

# Linux 7.3.4 itself, unpatched, now and then hits KVM_BUG_ON(SYSREGS_ON_CPU)
# in kvm_vcpu_load_debug() when a vCPU thread is scheduled back in under
# TCG (Documentation/testing.rst). A boot whose first warning is exactly
# that is booted once more, and says so; any other warning fails.
upstream_flake='WARNING: arch/arm64/kvm/debug.c:[0-9]+ at kvm_vcpu_load_debug'
for attempt in 1 2; do
	log "qemu: booting ($mode, $name), serial log in $log_file"
	set +e
	timeout -k 10 "$timeout_s" "${emulator[@]}" \
		-M virt,virtualization=on,mte=on,gic-version=3 -cpu max,pauth-impdef=on,lpa2=off \
		-smp 2 -m 2G -nic none -display none -monitor none -serial stdio -no-reboot \
		-kernel "$KBUILD/arch/arm64/boot/Image" -initrd "$OUT/$name.cpio" \
		-append "console=ttyAMA0 panic=-1 panic_on_warn=1 oops=panic slub_debug=U $mode_args" \
		</dev/null | tee "$log_file"
	qemu_status=${PIPESTATUS[0]}
	set -e
	[ "$attempt" = 1 ] &&
		grep -a -m1 'WARNING:' "$log_file" | grep -a -q -E "$upstream_flake" || break
	mv "$log_file" "$log_file.upstream-flake"
	echo "KNOWN UPSTREAM FLAKE ($name): 7.3's own KVM_BUG_ON(SYSREGS_ON_CPU) in kvm_vcpu_load_debug(), which the unpatched kernel hits too; booting once more (first log: $log_file.upstream-flake)" >&2
done

summary=$(grep -a -o 'KVM-SDEI-SUMMARY: passed=[0-9]* failed=[0-9]* skipped=[0-9]*' "$log_file" | tail -1)
problems=()
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	problems+=("QEMU hung: no power-off within ${timeout_s}s")
elif [ "$qemu_status" != 0 ]; then
	problems+=("QEMU exited with status $qemu_status")
fi
grep -a -v '^guest| ' "$log_file" | grep -a -q 'Kernel panic' && problems+=("the kernel panicked")
# A nested guest's console lines are prefixed "guest| " and judged by its
# own test (guest/run.sh).
grep -a -v '^guest| ' "$log_file" | grep -a -E -q '(WARNING:|BUG:|Oops|KVM refused|possible circular locking|inconsistent lock state|possible recursive locking|UBSAN:|Unable to handle kernel)' &&
	problems+=("the kernel log has a warning, bug or lockdep report")
[ -n "$summary" ] || problems+=("/init printed no summary")
if [ "$mode" = nested ]; then
	grep -a -q 'VHE+NV2 mode initialized successfully' "$log_file" ||
		problems+=("KVM did not come up with nested virtualization")
elif [ "$mode" = protected ]; then
	grep -a -q -E 'Protected [nh]VHE mode initialized successfully' "$log_file" ||
		problems+=("KVM did not come up in protected mode")
elif [ "$mode" = nvhe ]; then
	grep -a -q 'nVHE mode initialized successfully' "$log_file" ||
		problems+=("KVM did not come up in nVHE mode")
else
	grep -a -q -E '(^|[^n])VHE mode initialized successfully' "$log_file" ||
		problems+=("KVM did not come up in VHE mode")
fi

read -r passed failed skipped < <(echo "${summary:-passed=0 failed=0 skipped=0}" |
	sed -E 's/.*passed=([0-9]+) failed=([0-9]+) skipped=([0-9]+)/\1 \2 \3/')
# A run that went wrong counts as one more failure, whatever it reported.
((${#problems[@]})) && failed=$((failed + 1))
echo "$passed $failed $skipped" >"$result"

for p in "${problems[@]}"; do echo "FAIL ($name): $p" >&2; done
echo "$name: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
