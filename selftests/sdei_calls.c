// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_calls - every SDEI call in every state a guest reaches without an
 * event being delivered, with the exact return code, over HVC and SMC.
 *
 * Covers: a vCPU starts masked with nothing registered; REGISTER's
 * parameter checks (unknown events, entry 0, flags, RM_PE affinity);
 * ENABLE/DISABLE idempotence and refusal when unregistered; STATUS bits;
 * GET_INFO of both events; ROUTING_SET, INTERRUPT_BIND/RELEASE, FEATURES,
 * SHARED_RESET; PE_MASK's return value; PRIVATE_RESET outside a handler;
 * CONTEXT and COMPLETE outside a handler; SIGNAL, which succeeds whatever
 * the target's state and holds or loses the signal as TF-A does; 32-bit
 * arguments; and IDs of the SDEI range with no function, and the SMC32
 * forms. Every value is TF-A's dispatcher's.
 */
#include "sdei.h"
#include "test_util.h"

static const uint64_t unknown_events[] = {
	1, 0x40400000, 0x40400002, 1ULL << 31, ~0ULL, 0x140400000ULL,
};

#define OUT_OF_RESOURCE		((uint64_t)SDEI_OUT_OF_RESOURCE)

static void guest_code(void)
{
	const uint64_t ev = SDEI_EV_SW, apf = SDEI_EV_ASYNC_PF;
	const uint64_t entry = (uint64_t)sdei_entry, me = guest_mpidr();
	int i;

	CHECK(SDEI_EXPECTED_VERSION, SDEI_FN_VERSION);

	/* A vCPU starts masked, with nothing registered. */
	CHECK(0, SDEI_FN_PE_MASK);
	CHECK(0, SDEI_FN_STATUS, ev);
	CHECK(0, SDEI_FN_STATUS, apf);

	/* Unregistered. */
	CHECK(DENIED, SDEI_FN_ENABLE, ev);
	CHECK(DENIED, SDEI_FN_DISABLE, ev);
	CHECK(DENIED, SDEI_FN_UNREGISTER, ev);
	CHECK(DENIED, SDEI_FN_CONTEXT, 0);
	CHECK(DENIED, SDEI_FN_CONTEXT, 17);
	CHECK(INVALID_PARAMETERS, SDEI_FN_CONTEXT, 18);
	CHECK(DENIED, SDEI_FN_COMPLETE, 0);
	CHECK(DENIED, SDEI_FN_COMPLETE_AND_RESUME, 0x1000);

	/* Only the two events of the table exist. */
	for (i = 0; i < ARRAY_SIZE(unknown_events); i++) {
		uint64_t bad = unknown_events[i];

		CHECK(INVALID_PARAMETERS, SDEI_FN_REGISTER, bad, entry, 0, 0, 0);
		CHECK(INVALID_PARAMETERS, SDEI_FN_ENABLE, bad);
		CHECK(INVALID_PARAMETERS, SDEI_FN_DISABLE, bad);
		CHECK(INVALID_PARAMETERS, SDEI_FN_UNREGISTER, bad);
		CHECK(INVALID_PARAMETERS, SDEI_FN_STATUS, bad);
		CHECK(INVALID_PARAMETERS, SDEI_FN_GET_INFO, bad, 0);
		CHECK(INVALID_PARAMETERS, SDEI_FN_ROUTING_SET, bad, 0, 0);
		CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, bad, me);
	}

	/*
	 * GET_INFO: both private, normal priority; only event 0 signalable.
	 * Info 1 answers "not signalable?", as TF-A's SDEI_INFO_EV_NOT_SIGNALED.
	 */
	CHECK(SDEI_EVENT_TYPE_PRIVATE, SDEI_FN_GET_INFO, ev, SDEI_EVENT_INFO_EV_TYPE);
	CHECK(0, SDEI_FN_GET_INFO, ev, SDEI_EVENT_INFO_EV_SIGNALED);
	CHECK(SDEI_EVENT_PRIORITY_NORMAL, SDEI_FN_GET_INFO, ev, SDEI_EVENT_INFO_EV_PRIORITY);
	CHECK(SDEI_EVENT_TYPE_PRIVATE, SDEI_FN_GET_INFO, apf, SDEI_EVENT_INFO_EV_TYPE);
	CHECK(1, SDEI_FN_GET_INFO, apf, SDEI_EVENT_INFO_EV_SIGNALED);
	CHECK(SDEI_EVENT_PRIORITY_NORMAL, SDEI_FN_GET_INFO, apf, SDEI_EVENT_INFO_EV_PRIORITY);
	CHECK(INVALID_PARAMETERS, SDEI_FN_GET_INFO, ev, SDEI_EVENT_INFO_EV_ROUTING_MODE);
	CHECK(INVALID_PARAMETERS, SDEI_FN_GET_INFO, ev, SDEI_EVENT_INFO_EV_ROUTING_AFF);
	CHECK(INVALID_PARAMETERS, SDEI_FN_GET_INFO, ev, 5);

	/* REGISTER's parameters, checked before the state; nothing changes. */
	CHECK(INVALID_PARAMETERS, SDEI_FN_REGISTER, ev, 0, 0, 0, 0);
	CHECK(INVALID_PARAMETERS, SDEI_FN_REGISTER, ev, entry, 0, 2, 0);
	CHECK(INVALID_PARAMETERS, SDEI_FN_REGISTER, ev, entry, 0, ~0ULL, 0);
	CHECK(INVALID_PARAMETERS, SDEI_FN_REGISTER, ev, entry, 0,
	      SDEI_EVENT_REGISTER_RM_PE, 0xff00000000ULL);
	CHECK(0, SDEI_FN_STATUS, ev);

	/* Registered: disabled first; ENABLE and DISABLE are idempotent. */
	CHECK(0, SDEI_FN_REGISTER, ev, entry, 0x1234, SDEI_EVENT_REGISTER_RM_PE, me);
	CHECK(SDEI_ST_REGISTERED, SDEI_FN_STATUS, ev);
	CHECK(DENIED, SDEI_FN_REGISTER, ev, entry, 0, 0, 0);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(SDEI_ST_REGISTERED | SDEI_ST_ENABLED, SDEI_FN_STATUS, ev);
	CHECK(0, SDEI_FN_DISABLE, ev);
	CHECK(0, SDEI_FN_DISABLE, ev);
	CHECK(SDEI_ST_REGISTERED, SDEI_FN_STATUS, ev);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(DENIED, SDEI_FN_CONTEXT, 0);
	CHECK(DENIED, SDEI_FN_COMPLETE, 0);

	/* UNREGISTER also disables; the event can be registered again. */
	CHECK(0, SDEI_FN_UNREGISTER, ev);
	CHECK(0, SDEI_FN_STATUS, ev);
	CHECK(DENIED, SDEI_FN_UNREGISTER, ev);
	CHECK(0, SDEI_FN_REGISTER, ev, entry, 0, SDEI_EVENT_REGISTER_RM_ANY, 0);

	/* Calls that do not depend on an event's state. */
	CHECK(INVALID_PARAMETERS, SDEI_FN_ROUTING_SET, ev, 0, 0);
	CHECK(INVALID_PARAMETERS, SDEI_FN_ROUTING_SET, apf, 0, 0);
	/* No slot to bind to: SGIs are refused, anything else finds none. */
	CHECK(INVALID_PARAMETERS, SDEI_FN_INTERRUPT_BIND, 15);
	CHECK(OUT_OF_RESOURCE, SDEI_FN_INTERRUPT_BIND, 27);
	CHECK(INVALID_PARAMETERS, SDEI_FN_INTERRUPT_RELEASE, ev);
	CHECK(INVALID_PARAMETERS, SDEI_FN_INTERRUPT_RELEASE, apf);
	CHECK(0, SDEI_FN_FEATURES, SDEI_FEATURE_BIND_SLOTS);
	CHECK(INVALID_PARAMETERS, SDEI_FN_FEATURES, 1);
	CHECK(INVALID_PARAMETERS, SDEI_FN_FEATURES, ~0ULL);

	/* 32-bit arguments: the upper half of the register is ignored. */
	CHECK(SDEI_ST_REGISTERED, SDEI_FN_STATUS, ev | 0xffffffff00000000ULL);
	CHECK(0, SDEI_FN_FEATURES, 1ULL << 32);
	CHECK(1, SDEI_FN_GET_INFO, apf, 1ULL << 32 | SDEI_EVENT_INFO_EV_SIGNALED);
	CHECK(0, SDEI_FN_SHARED_RESET);
	CHECK(SDEI_ST_REGISTERED, SDEI_FN_STATUS, ev);

	/* PE_MASK returns whether the vCPU was unmasked. */
	CHECK(0, SDEI_FN_PE_UNMASK);
	CHECK(1, SDEI_FN_PE_MASK);
	CHECK(0, SDEI_FN_PE_MASK);

	/*
	 * SIGNAL succeeds for event 0 and any vCPU, whatever the target's
	 * state, as TF-A: only another event or an MPIDR that is no vCPU is
	 * invalid. The signal is held while event 0 is registered here.
	 */
	CHECK(0, SDEI_FN_SIGNAL, ev, me);	/* masked, disabled: held */
	CHECK(0, SDEI_FN_PE_UNMASK);
	CHECK(0, SDEI_FN_SIGNAL, ev, me);	/* disabled: held */
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, ev, 0xff00000000ULL);
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, apf, me);
	CHECK(1, SDEI_FN_PE_MASK);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(0, SDEI_FN_SIGNAL, ev, me);	/* masked: held */

	/*
	 * PRIVATE_RESET outside a handler unregisters everything, and drops
	 * the held signal: nothing is taken once event 0 is back and unmasked.
	 */
	CHECK(0, SDEI_FN_REGISTER, apf, entry, 0, 0, 0);
	CHECK(0, SDEI_FN_PRIVATE_RESET);
	CHECK(0, SDEI_FN_STATUS, ev);
	CHECK(0, SDEI_FN_STATUS, apf);
	CHECK(0, SDEI_FN_REGISTER, ev, entry, 0, 0, 0);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(0, SDEI_FN_PE_UNMASK);
	CHECK(1, SDEI_FN_PE_MASK);

	/* Without event 0 registered, a signal is lost. */
	CHECK(0, SDEI_FN_UNREGISTER, ev);
	CHECK(0, SDEI_FN_SIGNAL, ev, me);
	CHECK(0, SDEI_FN_REGISTER, ev, entry, 0, 0, 0);
	CHECK(0, SDEI_FN_ENABLE, ev);
	CHECK(0, SDEI_FN_PE_UNMASK);
	CHECK(1, SDEI_FN_PE_MASK);
	CHECK(0, SDEI_FN_PRIVATE_RESET);

	/* IDs of the range with no function, and the SMC32 forms. */
	CHECK(NOT_SUPPORTED, SDEI_FN(0x13));
	CHECK(NOT_SUPPORTED, SDEI_FN(0x1f));
	CHECK(NOT_SUPPORTED, SDEI_FN_VERSION - 0x40000000);
	CHECK(NOT_SUPPORTED, SDEI_FN_REGISTER - 0x40000000, ev, entry, 0, 0, 0);
	CHECK(NOT_SUPPORTED, SDEI_FN_PE_UNMASK - 0x40000000);

	GUEST_DONE();
}

SDEI_DEFINE_HANDLER_ENTRY();

static void unexpected_event(struct sdei_entry_regs *regs)
{
	GUEST_FAIL("no event should be delivered, got %#lx", regs->x[0]);
}

static void run(enum sdei_conduit conduit)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_conduit = conduit;
	sync_global_to_guest(vm, sdei_conduit);
	sdei_set_handler(vm, unexpected_event);
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("every call in every state, over %s\n",
			      conduit == SDEI_HVC ? "HVC" : "SMC");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	run(SDEI_HVC);
	run(SDEI_SMC);
	ksft_finished();
}
