// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_mte - in a guest with MTE, an SDEI handler starts as any exception
 * handler would: with PSTATE.TCO set, so that its first accesses are not
 * tag checked.
 *
 * The interrupted code runs with TCO clear, then set, and signals itself.
 * Checked each time: the handler runs with TCO set; x3, the interrupted
 * PSTATE, has the interrupted TCO; COMPLETE gives the interrupted code its
 * own TCO back; COMPLETE_AND_RESUME enters the IRQ vector with TCO clear,
 * as TF-A resumes (EL1h, DAIF masked, nothing else), and SPSR_EL1.TCO as
 * interrupted.
 */
#include "sdei.h"
#include "test_util.h"

#define PSR_TCO		BIT(25)

/* TCO by its encoding, for assemblers that do not know MTE. */
#define read_tco()	({ uint64_t v; asm volatile("mrs %0, s3_3_c4_c2_7" : "=r"(v)); v; })
#define write_tco(v)	asm volatile("msr s3_3_c4_c2_7, %0" :: "r"((uint64_t)(v)))

SDEI_DEFINE_HANDLER_ENTRY();

static uint64_t handler_tco, handler_x3, irq_tco, irq_spsr;
static int handled, irqs;

static void handler(struct sdei_entry_regs *regs)
{
	handler_tco = read_tco();
	handler_x3 = regs->x[3];
	handled++;
}

static void irq_vector(struct ex_regs *regs)
{
	irq_tco = read_tco();
	irq_spsr = regs->pstate;
	irqs++;
}

/* Signals itself with @tco in PSTATE, finishing with @resume or COMPLETE. */
static void signal_self(uint64_t tco, bool resume)
{
	uint64_t result, tco_after;

	sdei_finish_fn = resume ? SDEI_FN_COMPLETE_AND_RESUME : SDEI_FN_COMPLETE;
	sdei_finish_arg = resume ? read_sysreg(vbar_el1) + 0x280 : 0;
	handled = irqs = 0;

	write_tco(tco);
	result = sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
	tco_after = read_tco();
	write_tco(0);

	GUEST_ASSERT_EQ(result, 0);
	GUEST_ASSERT_EQ(handled, 1);
	GUEST_ASSERT_EQ(handler_tco, PSR_TCO);
	GUEST_ASSERT_EQ(handler_x3 & PSR_TCO, tco);
	GUEST_ASSERT_EQ(tco_after, tco);
	GUEST_ASSERT_EQ(irqs, resume ? 1 : 0);
	if (resume) {
		/* TF-A resumes at EL1h with DAIF masked and nothing else. */
		GUEST_ASSERT_EQ(irq_tco, 0);
		GUEST_ASSERT_EQ(irq_spsr & PSR_TCO, tco);
	}
}

static const struct {
	uint64_t tco;
	bool resume;
	const char *name;
} cases[] = {
	{ 0, false, "TCO clear: handler with TCO set, COMPLETE restores it clear" },
	{ PSR_TCO, false, "TCO set: handler with TCO set, COMPLETE restores it set" },
	{ 0, true, "COMPLETE_AND_RESUME: IRQ vector with TCO clear, SPSR_EL1.TCO clear" },
	{ PSR_TCO, true, "COMPLETE_AND_RESUME: IRQ vector with TCO clear, SPSR_EL1.TCO set" },
};

static void guest_code(void)
{
	sdei_ready(SDEI_EV_SW, 0);
	for (int i = 0; i < ARRAY_SIZE(cases); i++) {
		signal_self(cases[i].tco, cases[i].resume);
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

static void passed(struct kvm_vcpu **vcpu, uint64_t stage)
{
	ksft_test_result_pass("%s\n", cases[stage].name);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_MTE));
	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(cases));

	/* MTE can only be enabled before the first vCPU exists. */
	vm = vm_create(1);
	vm_enable_cap(vm, KVM_CAP_ARM_MTE, 0);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	kvm_arch_vm_finalize_vcpus(vm);
	sdei_install_irq_vector(vm, vcpu, irq_vector);
	sdei_set_handler(vm, handler);

	sdei_run_syncs(&vcpu, passed);
	kvm_vm_free(vm);
	ksft_finished();
}
