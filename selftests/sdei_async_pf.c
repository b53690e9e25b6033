// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_async_pf - the host raises the asynchronous page fault event.
 *
 * The host injects KVM_ARM_SDEI_ASYNC_PF_EVENT with kvm_sdei_inject_event(),
 * through the synthetic event source sdei_test_inject.ko. It is refused
 * (EAGAIN) while the guest has not registered, enabled and unmasked for
 * it; accepted then, and delivered once with its number and argument in x0
 * and x1. An unknown event gets ENOENT.
 */
#include <fcntl.h>
#include <unistd.h>

#include "sdei_test.h"
#include "test_util.h"

#define ARG	0xa5f0

static uint64_t handled, handled_x0, handled_x1;

static void handler(struct sdei_entry_regs *regs)
{
	handled_x0 = regs->x[0];
	handled_x1 = regs->x[1];
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static void guest_code(void)
{
	GUEST_SYNC(0);		/* nothing registered: injection refused */
	SDEI_CHECK(0, SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, ARG, 0, 0);
	GUEST_SYNC(1);		/* registered, disabled: refused */
	SDEI_CHECK(0, SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
	GUEST_SYNC(2);		/* masked: refused */
	SDEI_CHECK(0, SDEI_FN_PE_UNMASK);
	GUEST_SYNC(3);		/* accepted */
	while (!__atomic_load_n(&handled, __ATOMIC_ACQUIRE))
		cpu_relax();
	GUEST_ASSERT_EQ(handled_x0, SDEI_EV_ASYNC_PF);
	GUEST_ASSERT_EQ(handled_x1, ARG);
	GUEST_SYNC(4);		/* and delivered once */
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 1);
	GUEST_DONE();
}

static void expect(struct kvm_vcpu *vcpu, uint32_t event, int want)
{
	int got = sdei_inject(vcpu->vm, vcpu->id, event);

	TEST_ASSERT(got == want, "inject %#x: want %s, got %s", event,
		    strerror(want), strerror(got));
}

static void at_stage(struct kvm_vcpu **vcpu, uint64_t stage)
{
	switch (stage) {
	case 0:
	case 1:
	case 2:
		expect(*vcpu, KVM_ARM_SDEI_ASYNC_PF_EVENT, EAGAIN);
		break;
	case 3:
		expect(*vcpu, KVM_ARM_SDEI_ASYNC_PF_EVENT, 0);
		/* Pending already: at most one is kept. */
		expect(*vcpu, KVM_ARM_SDEI_ASYNC_PF_EVENT, 0);
		break;
	case 4:
		ksft_test_result_pass("refused until registered, enabled and unmasked\n");
		break;
	}
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(2);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_set_handler(vm, handler);
	expect(vcpu, 0x40400002, ENOENT);	/* no such event */

	sdei_run_syncs(&vcpu, at_stage);
	ksft_test_result_pass("delivered once with its number and argument\n");
	kvm_vm_free(vm);
	ksft_finished();
}
