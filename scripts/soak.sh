#!/usr/bin/env bash
# make soak: the provider under concurrency on sanitizer kernels. For each
# of two variants of the test kernel, one with KASAN and UBSAN and one with
# KCSAN, build the kernel and the module, then run sdei_soak for
# KVM_SDEI_SOAK_SECONDS, then sdei_stress and sdei_signal, in QEMU with
# KVM in VHE mode. Any report in the kernel log fails the run (qemu.sh:
# KASAN, KCSAN and UBSAN report as BUG or UBSAN lines). Not part of make
# test: each variant is a kernel build of its own (Documentation/testing.rst).
# KVM_SDEI_SOAK_VARIANTS picks some of them ("kasan kcsan").
source "$(dirname "$0")/lib.sh"

seconds=${KVM_SDEI_SOAK_SECONDS:-300}
variants=${KVM_SDEI_SOAK_VARIANTS:-kasan kcsan}
"$TOP/scripts/setup.sh"
passed=0 failed=0
for variant in $variants; do
	export KVM_SDEI_VARIANT=$variant
	(
		source "$TOP/scripts/lib.sh"
		"$TOP/scripts/kernel.sh"
		"$TOP/scripts/module.sh"
		"$TOP/scripts/selftests.sh"
		plan=$OUT/soak.plan
		cat >"$plan" <<-PLAN
		echo # make soak, $variant: the provider under concurrency for ${seconds}s
		insmod /kvm_sdei.ko
		run /tests/sdei_soak $seconds /kvm_sdei.ko
		run /tests/sdei_stress
		run /tests/kvm/sdei_signal
		rmmod kvm_sdei
		PLAN
		KVM_SDEI_QEMU_TIMEOUT=$((seconds * 3 + 900)) \
			"$TOP/scripts/qemu.sh" "$plan" vhe "soak-$variant"
		grep -a -o 'ok 1 [0-9]*s: .*' "$OUT/soak-$variant.log" | sed "s/^ok 1 /soak ($variant): /"
	) && passed=$((passed + 1)) || failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
