// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_vcpu_kinds - only vCPUs that can take an SDEI event get SDEI.
 *
 * The provider enters handlers at AArch64 EL1h, so a VM of AArch32 EL1
 * vCPUs (KVM_ARM_VCPU_EL1_32BIT) or of nested vCPUs (KVM_ARM_VCPU_HAS_EL2)
 * looks as if no provider were loaded: the KVM_REG_ARM_STD_BMAP SDEI bit
 * is clear and cannot be set (EINVAL), and the SDEI registers, listed as
 * for every vCPU, hold the state out of reset and take no other value
 * (EINVAL). An AArch32 guest's
 * SDEI_VERSION, over HVC, returns NOT_SUPPORTED. An AArch64 VM beside them
 * still has SDEI.
 *
 * With --nested (the harness's run under kvm-arm.mode=nested and an
 * emulator with FEAT_NV2), the nested case must run: a host that cannot
 * create the vCPU fails the test instead of skipping it.
 */
#include "sdei.h"
#include "test_util.h"

/* Unbacked by any memslot: a write there exits to the host. */
#define REPORT_GPA	0x3f000000ULL

/*
 * A32, MMU off: r0 = SDEI_VERSION's ID, HVC, then store r0 to REPORT_GPA.
 */
static const uint32_t a32_sdei_version[] = {
	0xe3000020,	/* movw	r0, #0x0020 */
	0xe34c0400,	/* movt	r0, #0xc400 */
	0xe1400070,	/* hvc	#0 */
	0xe3001000,	/* movw	r1, #0 */
	0xe3431f00,	/* movt	r1, #0x3f00 */
	0xe5810000,	/* str	r0, [r1] */
	0xeafffffe,	/* b	. */
};

static void guest_version(void)
{
	CHECK(SDEI_EXPECTED_VERSION, SDEI_FN_VERSION);
	GUEST_DONE();
}

/* What a VM without SDEI shows the VMM. */
static void check_absent(struct kvm_vcpu *vcpu, const char *kind)
{
	uint64_t bmap;

	TEST_ASSERT(!sdei_bmap_bit(vcpu), "%s: STD_BMAP offers SDEI", kind);
	bmap = vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP);
	TEST_ASSERT(__vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP,
				   bmap | BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1)) && errno == EINVAL,
		    "%s: setting the SDEI bit must fail with EINVAL", kind);
	sdei_assert_reset_regs(vcpu, kind);
}

static void test_aarch32_el1(void)
{
	struct kvm_vcpu_init init;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	gva_t code;
	uint32_t x0;

	if (!kvm_has_cap(KVM_CAP_ARM_EL1_32BIT)) {
		ksft_test_result_skip("AArch32 EL1: this host has no KVM_CAP_ARM_EL1_32BIT\n");
		return;
	}
	vm = vm_create(1);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_EL1_32BIT;
	vcpu = __vm_vcpu_add(vm, 0);
	vcpu_ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
	check_absent(vcpu, "AArch32 EL1");
	kvm_arch_vm_finalize_vcpus(vm);

	code = vm_alloc(vm, vm->page_size, KVM_UTIL_MIN_VADDR);
	memcpy(addr_gva2hva(vm, code), a32_sdei_version, sizeof(a32_sdei_version));
	vcpu_set_reg(vcpu, ARM64_CORE_REG(regs.pc), addr_gva2gpa(vm, code));
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu->run->mmio.phys_addr == REPORT_GPA && vcpu->run->mmio.len == 4,
		    "the A32 guest did not report (exit %s)",
		    exit_reason_str(vcpu->run->exit_reason));
	memcpy(&x0, vcpu->run->mmio.data, sizeof(x0));
	TEST_ASSERT(x0 == (uint32_t)NOT_SUPPORTED,
		    "an AArch32 guest's SDEI_VERSION gave %#x, want NOT_SUPPORTED", x0);
	kvm_vm_free(vm);
	ksft_test_result_pass("AArch32 EL1: no SDEI bit, SDEI registers at reset, SDEI_VERSION not supported\n");
}

static bool must_nest;

static void test_nested(void)
{
	struct kvm_vcpu_init init;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create(1);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_HAS_EL2;
	vcpu = __vm_vcpu_add(vm, 0);
	if (__vcpu_ioctl(vcpu, KVM_ARM_VCPU_INIT, &init)) {
		TEST_ASSERT(!must_nest, "nested: no vCPU with KVM_ARM_VCPU_HAS_EL2 (%s)",
			    strerror(errno));
		ksft_test_result_skip("nested: this host cannot create a vCPU with KVM_ARM_VCPU_HAS_EL2 (%s; NV needs kvm-arm.mode=nested and FEAT_NV2); the rule is checked by the AArch32 case and in arch/arm64/kvm/sdei.c\n",
				      strerror(errno));
		kvm_vm_free(vm);
		return;
	}
	check_absent(vcpu, "nested");
	kvm_vm_free(vm);
	ksft_test_result_pass("nested: no SDEI bit, SDEI registers at reset\n");
}

static void test_aarch64_still_has_sdei(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	/* On a nested host the library would give the vCPU EL2. */
	setenv("NV", "0", 1);
	vm = vm_create_with_one_vcpu(&vcpu, guest_version);
	TEST_ASSERT(sdei_bmap_bit(vcpu), "an AArch64 VM must offer SDEI");
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("AArch64 EL1: SDEI offered\n");
}

int main(int argc, char **argv)
{
	must_nest = argc > 1 && !strcmp(argv[1], "--nested");
	ksft_print_header();
	ksft_set_plan(3);
	test_aarch32_el1();
	test_nested();
	test_aarch64_still_has_sdei();
	ksft_finished();
}
