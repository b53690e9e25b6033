// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_signal - SDEI_EVENT_SIGNAL from one vCPU to another.
 *
 * vCPU 0 signals vCPU 1 while vCPU 1 spins, then while it waits in WFI
 * (which only the SDEI event can end: the guest has no interrupts), and
 * checks that the handler runs on vCPU 1, exactly once each time. As on
 * TF-A, SIGNAL succeeds whatever the target's state: a target that is
 * masked or has the event disabled holds the signal and takes it as its
 * PE_UNMASK or ENABLE returns; a target without the event registered loses
 * it, and never takes it later. SIGNAL is refused only for MPIDRs of no
 * vCPU and events that cannot be signalled.
 *
 * A storm: vCPU 0 signals vCPU 1 STORM times while vCPU 1 runs its
 * handler, so the first SIGNAL makes the event pending and the others
 * change nothing. Only the first may kick vCPU 1: its exits during the
 * storm stay far below STORM (a kick per SIGNAL would be one exit each).
 *
 * A VMM's GET and SET of STATUS around a SIGNAL: vCPU 1 signals the masked
 * vCPU 0 between the two; the SET of the value read before must not
 * withdraw the signal, which vCPU 0 takes at PE_UNMASK.
 */
#include "delay.h"
#include "sdei.h"
#include "test_util.h"

#define ARG		0x51ab1e
#define STORM		2000

enum stage {
	TARGET_READY = 1,
	TARGET_IN_WFI,
	TARGET_MASKED,
	TARGET_DISABLED,
	TARGET_UNREGISTERED,
	TARGET_DONE,
};

SDEI_DEFINE_HANDLER_ENTRY();

static uint64_t stage;			/* written by the target */
static uint64_t signals_sent;		/* written by the signaller */
static uint64_t handled;		/* written by the target's handler */
static uint64_t handled_on, handled_arg, target_mpidr;

static void wait_for(uint64_t *var, uint64_t value)
{
	while (__atomic_load_n(var, __ATOMIC_ACQUIRE) < value)
		cpu_relax();
}

static void set(uint64_t *var, uint64_t value)
{
	__atomic_store_n(var, value, __ATOMIC_RELEASE);
}

static void handler(struct sdei_entry_regs *regs)
{
	handled_on = guest_mpidr();
	handled_arg = regs->x[1];
	GUEST_ASSERT_EQ(regs->x[0], SDEI_EV_SW);
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static void target(void)
{
	target_mpidr = guest_mpidr();
	sdei_ready(SDEI_EV_SW, ARG);
	set(&stage, TARGET_READY);

	/* Busy: the handler interrupts this loop. */
	wait_for(&handled, 1);
	GUEST_ASSERT_EQ(handled_on, target_mpidr);
	GUEST_ASSERT_EQ(handled_arg, ARG);

	/* Idle: only the SDEI event ends this WFI. */
	set(&stage, TARGET_IN_WFI);
	while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) < 2)
		asm volatile("wfi" ::: "memory");

	CHECK(1, SDEI_FN_PE_MASK);
	set(&stage, TARGET_MASKED);
	wait_for(&signals_sent, 3);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 2);
	CHECK(0, SDEI_FN_PE_UNMASK);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 3);

	CHECK(0, SDEI_FN_DISABLE, SDEI_EV_SW);
	set(&stage, TARGET_DISABLED);
	wait_for(&signals_sent, 4);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 3);
	CHECK(0, SDEI_FN_ENABLE, SDEI_EV_SW);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 4);

	CHECK(0, SDEI_FN_UNREGISTER, SDEI_EV_SW);
	set(&stage, TARGET_UNREGISTERED);
	wait_for(&signals_sent, 5);

	/* The lost signal does not show up once the event is back. */
	CHECK(0, SDEI_FN_REGISTER, SDEI_EV_SW, (uint64_t)sdei_entry, ARG, 0, 0);
	CHECK(0, SDEI_FN_ENABLE, SDEI_EV_SW);
	udelay(10000);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 4);
	set(&stage, TARGET_DONE);
	GUEST_DONE();
}

static void signaller(void)
{
	/* MPIDRs of no vCPU, and events that cannot be signalled. */
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, SDEI_EV_SW, 0x2);
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, SDEI_EV_SW, 0x100);
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, SDEI_EV_SW, 0xff00000000ULL);

	wait_for(&stage, TARGET_READY);
	CHECK(INVALID_PARAMETERS, SDEI_FN_SIGNAL, SDEI_EV_ASYNC_PF, target_mpidr);
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
	set(&signals_sent, 1);
	wait_for(&handled, 1);

	/* Give the target time to block in WFI. */
	wait_for(&stage, TARGET_IN_WFI);
	udelay(50000);
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
	set(&signals_sent, 2);
	wait_for(&handled, 2);

	wait_for(&stage, TARGET_MASKED);
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);	/* held */
	set(&signals_sent, 3);

	wait_for(&stage, TARGET_DISABLED);
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);	/* held */
	set(&signals_sent, 4);

	wait_for(&stage, TARGET_UNREGISTERED);
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);	/* lost */
	set(&signals_sent, 5);

	wait_for(&stage, TARGET_DONE);
	GUEST_DONE();
}

static void guest_code(uint64_t index)
{
	if (index)
		target();
	else
		signaller();
}

/* A VM of two vCPUs, each running @guest with its index as argument. */
static struct kvm_vm *create_pair(void *guest, void (*on_event)(struct sdei_entry_regs *regs),
				  struct kvm_vcpu *vcpus[2])
{
	struct kvm_vm *vm = vm_create_with_vcpus(2, guest, vcpus);
	int i;

	sdei_set_handler(vm, on_event);
	for (i = 0; i < 2; i++)
		vcpu_args_set(vcpus[i], 1, i);
	return vm;
}

static uint64_t storm_in_handler, storm_over;

static void storm_handler(struct sdei_entry_regs *regs)
{
	set(&storm_in_handler, 1);
	wait_for(&storm_over, 1);
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static void storm_guest(uint64_t index)
{
	int i;

	if (index) {
		target_mpidr = guest_mpidr();
		sdei_ready(SDEI_EV_SW, ARG);
		CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
		/* The storm's one pending signal, taken after the first COMPLETE. */
		wait_for(&handled, 2);
		GUEST_DONE();
	}
	wait_for(&storm_in_handler, 1);
	GUEST_SYNC(1);
	for (i = 0; i < STORM; i++)
		CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
	GUEST_SYNC(2);
	set(&storm_over, 1);
	GUEST_DONE();
}

static struct kvm_vcpu *storm_target;
static uint64_t exits_before;

static void storm_sync(struct kvm_vcpu **vcpu, uint64_t stage)
{
	uint64_t exits = vcpu_get_stat(storm_target, exits);

	if (stage == 1) {
		exits_before = exits;
		return;
	}
	TEST_ASSERT(exits - exits_before < STORM / 10,
		    "%d SIGNALs to a vCPU whose event is pending: %lu of its exits", STORM,
		    exits - exits_before);
	printf("# %d SIGNALs to a pending event: %lu exits of the target\n", STORM,
	       exits - exits_before);
}

static void test_storm(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	pthread_t thread;

	vm = create_pair(storm_guest, storm_handler, vcpus);
	storm_target = vcpus[1];
	pthread_create(&thread, NULL, sdei_vcpu_thread, vcpus[1]);
	sdei_run_syncs(&vcpus[0], storm_sync);
	pthread_join(thread, NULL);
	kvm_vm_free(vm);
	ksft_test_result_pass("a SIGNAL storm at a pending event kicks its target once\n");
}

/* STATUS: masked, event 0 registered and enabled; its pending bit. */
#define STATUS_READY_MASKED	0x301ULL
#define STATUS_EV0_PENDING	0x800ULL

static void status_guest(uint64_t index)
{
	if (index) {
		CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, 0);
		GUEST_DONE();
	}
	sdei_ready(SDEI_EV_SW, ARG);
	CHECK(1, SDEI_FN_PE_MASK);	/* it was unmasked */
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 0);
	CHECK(0, SDEI_FN_PE_UNMASK);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 1);
	GUEST_DONE();
}

static struct kvm_vcpu *status_signaller;

static void status_sync(struct kvm_vcpu **vcpu, uint64_t stage)
{
	uint64_t got = vcpu_get_reg(*vcpu, REG_STATUS);

	TEST_ASSERT_EQ(got, STATUS_READY_MASKED);
	sdei_run_to_done(status_signaller);
	vcpu_set_reg(*vcpu, REG_STATUS, got);
	TEST_ASSERT_EQ(vcpu_get_reg(*vcpu, REG_STATUS), got | STATUS_EV0_PENDING);
}

static void test_status_write(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;

	vm = create_pair(status_guest, handler, vcpus);
	status_signaller = vcpus[1];
	sdei_run_syncs(&vcpus[0], status_sync);
	kvm_vm_free(vm);
	ksft_test_result_pass("a SET of STATUS keeps a SIGNAL raised since the GET\n");
}

int main(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(3);

	vm = create_pair(guest_code, handler, vcpus);
	/* A vCPU stuck in WFI fails the test. */
	sdei_run_vcpus(vcpus, 2, 120);

	kvm_vm_free(vm);
	ksft_test_result_pass("SIGNAL to a busy, a WFI-blocked, a masked, a disabled and an unregistered vCPU\n");
	test_storm();
	test_status_write();
	ksft_finished();
}
