// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_version - SDEI_VERSION over HVC and SMC, with and without a provider.
 *
 * With the kvm_sdei module loaded, a new VM gets SDEI 1.1 over both
 * conduits and sees the SDEI bit in KVM_REG_ARM_STD_BMAP. Run with
 * --no-provider after the module is unloaded, a new VM gets
 * NOT_SUPPORTED and no SDEI bit, and cannot set that bit; its SDEI
 * registers are listed all the same, at their reset values. Run with
 * --protected, the module loaded in protected mode, a new VM gets exactly
 * what it gets without a provider. KVM_CAP_ARM_SDEI, on /dev/kvm and on
 * the VM, is 1 with the provider and 0 otherwise.
 */
#include <string.h>

#include "sdei.h"
#include "test_util.h"

#ifndef KVM_CAP_ARM_SDEI
#define KVM_CAP_ARM_SDEI 252
#endif

static uint64_t expected_x0;

static void guest_code(void)
{
	uint64_t hvc = sdei_call(SDEI_HVC, SDEI_1_0_FN_SDEI_VERSION, 0, 0, 0, 0, 0);
	uint64_t smc = sdei_call(SDEI_SMC, SDEI_1_0_FN_SDEI_VERSION, 0, 0, 0, 0, 0);

	GUEST_SYNC2(hvc, smc);
	GUEST_DONE();
}

static void test_version(bool provider)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t bmap;

	expected_x0 = provider ? SDEI_EXPECTED_VERSION : (uint64_t)SDEI_NOT_SUPPORTED;
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SDEI), provider);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SDEI), provider);
	TEST_ASSERT_EQ(sdei_bmap_bit(vcpu), provider);
	if (!provider) {
		bmap = vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP);
		bmap |= BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1);
		TEST_ASSERT(__vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, bmap) &&
			    errno == EINVAL,
			    "setting the SDEI bit without a provider: want EINVAL, got errno %d",
			    errno);
		sdei_assert_reset_regs(vcpu, "no provider");
	}

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[0] == expected_x0,
		    "SDEI_VERSION over HVC: want %#lx, got %#lx",
		    expected_x0, uc.args[0]);
	TEST_ASSERT(uc.args[1] == expected_x0,
		    "SDEI_VERSION over SMC: want %#lx, got %#lx",
		    expected_x0, uc.args[1]);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	bool protected = argc > 1 && !strcmp(argv[1], "--protected");
	bool provider = !protected && !(argc > 1 && !strcmp(argv[1], "--no-provider"));

	ksft_print_header();
	ksft_set_plan(1);
	test_version(provider);
	ksft_test_result_pass("SDEI_VERSION %s\n",
			      provider ? "is 1.1 with the provider" :
			      protected ? "is NOT_SUPPORTED in protected mode" :
					  "is NOT_SUPPORTED without a provider");
	ksft_finished();
}
