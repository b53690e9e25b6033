// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_demo - a guest that uses SDEI, narrating each step.
 *
 * This is what `make demo` runs: the guest discovers SDEI, registers a
 * handler for the software-signalled event, signals itself and takes the
 * event, then takes an asynchronous page fault event the host raises. It
 * is also in the test plan, where any answer other than the contract's
 * fails it.
 */
#include "sdei_test.h"
#include "test_util.h"

static uint64_t handled;

static void handler(struct sdei_entry_regs *regs)
{
	GUEST_PRINTF("guest:   handler entered: event %#lx, argument %#lx, interrupted PC %#lx\n",
		     regs->x[0], regs->x[1], regs->x[2]);
	GUEST_PRINTF("guest:   EVENT_STATUS says %#lx (registered | enabled | running); "
		     "EVENT_CONTEXT(0) = %#lx\n",
		     sdei(SDEI_FN_STATUS, regs->x[0]), sdei(SDEI_FN_CONTEXT, 0));
	GUEST_PRINTF("guest:   calling EVENT_COMPLETE\n");
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static void guest_code(void)
{
	uint64_t x0;

	x0 = sdei_call(SDEI_HVC, SDEI_FN_VERSION, 0, 0, 0, 0, 0);
	GUEST_PRINTF("guest: SDEI_VERSION over HVC -> %#lx (SDEI %lu.%lu)\n",
		     x0, SDEI_VERSION_MAJOR(x0), SDEI_VERSION_MINOR(x0));
	GUEST_ASSERT_EQ(x0, SDEI_EXPECTED_VERSION);
	x0 = sdei_call(SDEI_SMC, SDEI_FN_VERSION, 0, 0, 0, 0, 0);
	GUEST_PRINTF("guest: SDEI_VERSION over SMC -> %#lx\n", x0);
	GUEST_ASSERT_EQ(x0, SDEI_EXPECTED_VERSION);

	GUEST_PRINTF("guest: registering a handler for event 0, enabling it, unmasking\n");
	sdei_ready(SDEI_EV_SW, 0xfeed);

	GUEST_PRINTF("guest: EVENT_SIGNAL(0) to myself\n");
	x0 = sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
	GUEST_PRINTF("guest: back where the event interrupted me; SIGNAL returned %ld, "
		     "handler ran %lu time(s)\n", (int64_t)x0, handled);
	GUEST_ASSERT_EQ(x0, 0);
	GUEST_ASSERT_EQ(handled, 1);

	GUEST_PRINTF("guest: registering the same handler for the async PF event %#lx\n",
		     SDEI_EV_ASYNC_PF);
	sdei_ready(SDEI_EV_ASYNC_PF, 0xa5f);
	GUEST_SYNC(0);
	while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) < 2)
		cpu_relax();
	GUEST_PRINTF("guest: handler ran %lu time(s) in all; done\n", handled);
	GUEST_DONE();
}

static void raise_async_pf(struct kvm_vcpu **vcpu, uint64_t stage)
{
	int err;

	printf("host: raising the async PF event on vCPU %u\n", (*vcpu)->id);
	err = sdei_inject((*vcpu)->vm, (*vcpu)->id, KVM_ARM_SDEI_ASYNC_PF_EVENT);
	TEST_ASSERT(!err, "inject: %s", strerror(err));
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_set_handler(vm, handler);
	printf("host: VM created; KVM_REG_ARM_STD_BMAP offers SDEI: %s\n",
	       sdei_bmap_bit(vcpu) ? "yes" : "no");

	sdei_run_syncs(&vcpu, raise_async_pf);
	printf("host: guest finished\n");

	kvm_vm_free(vm);
	return 0;
}
