// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_power - SDEI across the PSCI power states, as TF-A keeps it.
 *
 * - CPU_OFF: a powered-off vCPU never enters a handler. A signal sent to
 *   it is held (event 0 is still registered), and even when its KVM_RUN is
 *   interrupted, which makes KVM process its requests, the handler is not
 *   entered. CPU_ON then resets it: nothing registered, masked, the held
 *   signal gone.
 * - CPU_SUSPEND, which KVM implements as standby: a signal wakes the vCPU,
 *   its handler runs once CPU_SUSPEND returns, and the vCPU stays unmasked.
 * - SYSTEM_SUSPEND, a power-down suspend: an injected event wakes the vCPU
 *   (KVM_SYSTEM_EVENT_WAKEUP), which comes back masked with its
 *   registration and the pending event kept; PE_UNMASK then takes it.
 */
#include <linux/psci.h>
#include <signal.h>

#include "sdei_test.h"
#include "test_util.h"

/* Unbacked by any memslot: a write there exits to the host. */
#define REPORT_GPA	0x3f000000ULL
/* STATUS: bit 0 masked; a byte per event slot: registered 1, enabled 2, running 4, pending 8. */
#define ST_EV0(bits)	((uint64_t)(bits) << 8)
#define ST_APF(bits)	((uint64_t)(bits) << 16)

static uint64_t handled;

static void count(struct sdei_entry_regs *regs)
{
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static uint64_t status_reg(struct kvm_vcpu *vcpu)
{
	uint64_t val;

	val = vcpu_get_reg(vcpu, SDEI_REG_STATUS);
	return val;
}

/* After CPU_ON, with the MMU off: report STATUS(0) through an MMIO write. */
void after_cpu_on(void);
asm(".text\n"
    ".globl after_cpu_on\n"
    ".balign 4\n"
    "after_cpu_on:\n"
    "	movz	x0, #0x0028\n"			/* SDEI_EVENT_STATUS(0) */
    "	movk	x0, #0xc400, lsl #16\n"
    "	mov	x1, #0\n"
    "	hvc	#0\n"
    "	movz	x1, #0x3f00, lsl #16\n"		/* REPORT_GPA */
    "	str	x0, [x1]\n"
    "	b	.\n");

static void ready_then_sync(void)
{
	sdei_ready(SDEI_EV_SW, 0);
	GUEST_SYNC(0);
	GUEST_FAIL("a powered-off vCPU ran");
}

static void signal_then_cpu_on(uint64_t target, uint64_t entry_gpa)
{
	struct arm_smccc_res res;

	SDEI_CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target);
	GUEST_SYNC(1);
	smccc_hvc(PSCI_0_2_FN64_CPU_ON, target, entry_gpa, 0, 0, 0, 0, 0, &res);
	GUEST_ASSERT_EQ(res.a0, PSCI_RET_SUCCESS);
	GUEST_DONE();
}

static void run_until(struct kvm_vcpu *vcpu, uint64_t cmd)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, cmd);
}

static void nothing(int sig)
{
}

static void *run_stopped(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	int r = __vcpu_run(vcpu);

	TEST_ASSERT(r == -1 && errno == EINTR, "KVM_RUN of a stopped vCPU: %d/%s",
		    r, strerror(errno));
	return NULL;
}

static void test_cpu_off(void)
{
	struct kvm_mp_state stopped = { .mp_state = KVM_MP_STATE_STOPPED };
	struct sigaction sa = { .sa_handler = nothing };
	void *const code[] = { signal_then_cpu_on, ready_then_sync };
	uint64_t mpidr, pc, pc_after, reported;
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	pthread_t thread;

	vm = sdei_vm_with_psci(2, vcpus, code);
	sdei_set_handler(vm, count);
	run_until(vcpus[1], UCALL_SYNC);

	/* vCPU 1 is off, with event 0 ready; vCPU 0 signals it. */
	vcpu_mp_state_set(vcpus[1], &stopped);
	mpidr = vcpu_get_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1));
	vcpu_args_set(vcpus[0], 2, mpidr & MPIDR_HWID_BITMASK,
		      addr_gva2gpa(vm, (gva_t)after_cpu_on));
	run_until(vcpus[0], UCALL_SYNC);
	TEST_ASSERT_EQ(status_reg(vcpus[1]), ST_EV0(1 | 2 | 8));

	/* Interrupt its KVM_RUN: KVM processes its requests, but delivers nothing. */
	pc = vcpu_get_reg(vcpus[1], ARM64_CORE_REG(regs.pc));
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	pthread_create(&thread, NULL, run_stopped, vcpus[1]);
	usleep(200000);
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
	pc_after = vcpu_get_reg(vcpus[1], ARM64_CORE_REG(regs.pc));
	TEST_ASSERT_EQ(pc_after, pc);
	TEST_ASSERT_EQ(status_reg(vcpus[1]), ST_EV0(1 | 2 | 8));

	/* CPU_ON resets it: nothing registered, masked, no signal left. */
	run_until(vcpus[0], UCALL_DONE);
	vcpu_run(vcpus[1]);
	TEST_ASSERT(vcpus[1]->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpus[1]->run->mmio.phys_addr == REPORT_GPA,
		    "vCPU 1 did not report after CPU_ON (exit %s)",
		    exit_reason_str(vcpus[1]->run->exit_reason));
	reported = vcpu_get_reg(vcpus[1], ARM64_CORE_REG(regs.regs[0]));
	TEST_ASSERT_EQ(reported, 0);
	TEST_ASSERT_EQ(status_reg(vcpus[1]), 1);
	kvm_vm_free(vm);
	ksft_test_result_pass("CPU_OFF: no handler while off, even with KVM_RUN interrupted; CPU_ON resets\n");
}

static uint64_t suspending;

static void suspender(void)
{
	struct arm_smccc_res res;

	sdei_ready(SDEI_EV_SW, 0);
	__atomic_store_n(&suspending, 1, __ATOMIC_RELEASE);
	/* Standby: the vCPU waits as in WFI; only the SDEI event ends it. */
	smccc_hvc(PSCI_0_2_FN64_CPU_SUSPEND, 0, 0, 0, 0, 0, 0, 0, &res);
	GUEST_ASSERT_EQ(res.a0, PSCI_RET_SUCCESS);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 1);
	SDEI_CHECK(1, SDEI_FN_PE_MASK);	/* retention keeps the vCPU unmasked */
	GUEST_DONE();
}

static void signaller(uint64_t target)
{
	while (!__atomic_load_n(&suspending, __ATOMIC_ACQUIRE))
		cpu_relax();
	SDEI_CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, target);
	GUEST_DONE();
}

static void test_cpu_suspend(void)
{
	void *const code[] = { signaller, suspender };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	uint64_t mpidr;

	vm = sdei_vm_with_psci(2, vcpus, code);
	sdei_set_handler(vm, count);
	handled = 0;
	sync_global_to_guest(vm, handled);
	mpidr = vcpu_get_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1));
	vcpu_args_set(vcpus[0], 1, mpidr & MPIDR_HWID_BITMASK);
	sdei_run_vcpus(vcpus, 2, 120);
	kvm_vm_free(vm);
	ksft_test_result_pass("CPU_SUSPEND: a signal wakes the vCPU, taken after the call, still unmasked\n");
}

static void system_suspender(void)
{
	struct arm_smccc_res res;

	SDEI_CHECK(0, SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, 0, 0, 0);
	SDEI_CHECK(0, SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
	SDEI_CHECK(0, SDEI_FN_PE_UNMASK);
	smccc_hvc(PSCI_1_0_FN64_SYSTEM_SUSPEND, 0, 0, 0, 0, 0, 0, 0, &res);
	GUEST_ASSERT_EQ(res.a0, PSCI_RET_SUCCESS);
	/* Woken up masked, the event still pending. */
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 0);
	SDEI_CHECK(0, SDEI_FN_PE_MASK);
	SDEI_CHECK(1 | 2, SDEI_FN_STATUS, SDEI_EV_ASYNC_PF);
	SDEI_CHECK(0, SDEI_FN_PE_UNMASK);
	GUEST_ASSERT_EQ(__atomic_load_n(&handled, __ATOMIC_ACQUIRE), 1);
	GUEST_DONE();
}

static void test_system_suspend(void)
{
	struct kvm_mp_state suspended = { .mp_state = KVM_MP_STATE_SUSPENDED };
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	void *const code[] = { system_suspender };
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	int err;

	if (!kvm_has_cap(KVM_CAP_ARM_SYSTEM_SUSPEND)) {
		ksft_test_result_skip("SYSTEM_SUSPEND: KVM_CAP_ARM_SYSTEM_SUSPEND missing\n");
		return;
	}
	vm = sdei_vm_with_psci(1, &vcpu, code);
	vm_enable_cap(vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0);
	sdei_set_handler(vm, count);
	handled = 0;
	sync_global_to_guest(vm, handled);
	run = vcpu->run;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
		    run->system_event.type == KVM_SYSTEM_EVENT_SUSPEND,
		    "want the SYSTEM_SUSPEND exit, got %s", exit_reason_str(run->exit_reason));

	/* The VMM honours it; the host raises the async PF event meanwhile. */
	vcpu_mp_state_set(vcpu, &suspended);
	err = sdei_inject(vm, vcpu->id, KVM_ARM_SDEI_ASYNC_PF_EVENT);
	TEST_ASSERT(!err, "inject: %s", strerror(err));
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
		    run->system_event.type == KVM_SYSTEM_EVENT_WAKEUP,
		    "want a wake-up, got %s", exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(status_reg(vcpu), 1 | ST_APF(1 | 2 | 8));

	/* Resume the guest after its call, which succeeded. */
	vcpu_mp_state_set(vcpu, &runnable);
	vcpu_set_reg(vcpu, ARM64_CORE_REG(regs.regs[0]), PSCI_RET_SUCCESS);
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("SYSTEM_SUSPEND: an event wakes the vCPU, which comes back masked\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(3);
	test_cpu_off();
	test_cpu_suspend();
	test_system_suspend();
	ksft_finished();
}
