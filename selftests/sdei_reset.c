// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_reset - a vCPU reset returns SDEI to its initial state.
 *
 * A guest registers and enables event 0 and unmasks its vCPU, then the
 * vCPU is reset: by the VMM (KVM_ARM_VCPU_INIT, also how a VMM carries out
 * PSCI SYSTEM_RESET) or by another vCPU (PSCI CPU_ON). The reset vCPU
 * starts, MMU off, in a position-independent stub that asks SDEI for the
 * event's status, masks, and tries to signal itself, then reports the
 * three results through an MMIO write the host catches: nothing is
 * registered (0), the vCPU was masked (PE_MASK returns 0), and the signal
 * succeeds (0, as TF-A) but is lost: nothing is registered to take it.
 */
#include <linux/psci.h>

#include "sdei.h"
#include "test_util.h"

/* Unbacked by any memslot: a write there exits to the host. */
#define REPORT_GPA	0x3f000000ULL

/* Runs with the MMU off: registers and HVCs only. */
void after_reset(void);
asm(".text\n"
    ".globl after_reset\n"
    ".balign 4\n"
    "after_reset:\n"
    "	movz	x0, #0x0028\n"			/* SDEI_EVENT_STATUS(0) */
    "	movk	x0, #0xc400, lsl #16\n"
    "	mov	x1, #0\n"
    "	hvc	#0\n"
    "	mov	x19, x0\n"
    "	movz	x0, #0x002b\n"			/* SDEI_PE_MASK */
    "	movk	x0, #0xc400, lsl #16\n"
    "	hvc	#0\n"
    "	mov	x20, x0\n"
    "	movz	x0, #0x002f\n"			/* SDEI_EVENT_SIGNAL(0, self) */
    "	movk	x0, #0xc400, lsl #16\n"
    "	mov	x1, #0\n"
    "	mrs	x2, mpidr_el1\n"
    "	hvc	#0\n"
    "	mov	x21, x0\n"
    "	movz	x1, #0x3f00, lsl #16\n"		/* REPORT_GPA */
    "	str	x19, [x1]\n"
    "	b	.\n");

SDEI_DEFINE_HANDLER_ENTRY();

static void get_ready(void)
{
	sdei_ready(SDEI_EV_SW, 0);
	CHECK(SDEI_ST_REGISTERED | SDEI_ST_ENABLED, SDEI_FN_STATUS, SDEI_EV_SW);
	GUEST_SYNC(0);
}

static void cpu_on_target(uint64_t target_mpidr, uint64_t entry_gpa)
{
	struct arm_smccc_res res;

	smccc_hvc(PSCI_0_2_FN64_CPU_ON, target_mpidr, entry_gpa, 0, 0, 0, 0, 0, &res);
	GUEST_ASSERT_EQ(res.a0, PSCI_RET_SUCCESS);
	GUEST_DONE();
}

static void run_until_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);
}

/* Runs the reset vCPU into the stub and checks what it reports. */
static void check_reset_state(struct kvm_vcpu *vcpu, const char *how)
{
	uint64_t status, was_unmasked, signal;
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == REPORT_GPA,
		    "%s: the stub did not report (exit %s)", how,
		    exit_reason_str(run->exit_reason));
	status = vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.regs[19]));
	was_unmasked = vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.regs[20]));
	signal = vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.regs[21]));
	TEST_ASSERT(status == 0, "%s: event 0 status %#lx after reset, want 0", how, status);
	TEST_ASSERT(was_unmasked == 0, "%s: vCPU unmasked after reset", how);
	TEST_ASSERT(signal == 0, "%s: SIGNAL to a reset vCPU gave %#lx, want 0", how, signal);
	/* The STATUS register: masked, no event registered or pending. */
	status = vcpu_get_reg(vcpu, KVM_REG_ARM_FW_REG(0x100));
	TEST_ASSERT(status == 1, "%s: SDEI STATUS register %#lx after reset, want 1", how, status);
	ksft_test_result_pass("%s resets SDEI state\n", how);
}

static void test_vcpu_init(void)
{
	struct kvm_vcpu_init init;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, get_ready);
	run_until_sync(vcpu);

	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	vcpu_ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
	vcpu_set_reg(vcpu, ARM64_CORE_REG(regs.pc),
		     addr_gva2gpa(vm, (gva_t)after_reset));
	check_reset_state(vcpu, "KVM_ARM_VCPU_INIT");
	kvm_vm_free(vm);
}

static void test_cpu_on(void)
{
	struct kvm_mp_state stopped = { .mp_state = KVM_MP_STATE_STOPPED };
	void *const code[] = { cpu_on_target, get_ready };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t mpidr;

	vm = sdei_vm_with_psci(2, vcpus, code);
	run_until_sync(vcpus[1]);

	/* vCPU 1 goes off with SDEI ready; vCPU 0 turns it back on. */
	vcpu_mp_state_set(vcpus[1], &stopped);
	mpidr = vcpu_get_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1));
	vcpu_args_set(vcpus[0], 2, mpidr & MPIDR_HWID_BITMASK,
		      addr_gva2gpa(vm, (gva_t)after_reset));
	vcpu_run(vcpus[0]);
	if (get_ucall(vcpus[0], &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);

	check_reset_state(vcpus[1], "PSCI CPU_ON");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	test_vcpu_init();
	test_cpu_on();
	ksft_finished();
}
