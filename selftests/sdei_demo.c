// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_demo - a guest that talks SDEI to the provider, narrating each step.
 *
 * This is what `make demo` runs. It is also in the test plan, where it
 * fails if any step does not give the answer the contract promises.
 */
#include "sdei.h"
#include "test_util.h"

static void guest_code(void)
{
	uint64_t version;

	version = sdei_call(SDEI_HVC, SDEI_1_0_FN_SDEI_VERSION, 0, 0, 0, 0, 0);
	GUEST_PRINTF("guest: SDEI_VERSION over HVC -> %#lx (SDEI %lu.%lu)\n",
		     version, SDEI_VERSION_MAJOR(version),
		     SDEI_VERSION_MINOR(version));
	GUEST_ASSERT_EQ(version, SDEI_EXPECTED_VERSION);

	version = sdei_call(SDEI_SMC, SDEI_1_0_FN_SDEI_VERSION, 0, 0, 0, 0, 0);
	GUEST_PRINTF("guest: SDEI_VERSION over SMC -> %#lx\n", version);
	GUEST_ASSERT_EQ(version, SDEI_EXPECTED_VERSION);

	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	printf("host: VM created; KVM_REG_ARM_STD_BMAP offers SDEI: %s\n",
	       sdei_bmap_bit(vcpu) ? "yes" : "no");

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_PRINTF:
			printf("%s", uc.buffer);
			continue;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			printf("host: guest finished\n");
			break;
		default:
			TEST_FAIL("unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}

	kvm_vm_free(vm);
	return 0;
}
