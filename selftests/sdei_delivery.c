// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_delivery - entering a guest's SDEI handler and completing it.
 *
 * The interrupted code (signal_with_pattern) puts known values in x3-x17
 * and NZCV, signals event 0 to its own vCPU, and records x0-x17 and NZCV
 * as they are when it resumes. Checked:
 * - on entry: x0 = event, x1 = argument, x2 = interrupted PC, x3 =
 *   interrupted PSTATE, x4-x17 untouched; EL1h, SPSel 1, DAIF masked, DIT
 *   kept and NZCV clear (as TF-A), PAN set iff SCTLR_EL1.SPAN is 0, SSBS =
 *   SCTLR_EL1.DSSBS;
 * - CONTEXT 0-17 returns the interrupted x0-x17, STATUS says running,
 *   REGISTER is denied and CONTEXT 18 invalid inside the handler;
 * - COMPLETE restores x0-x17, PC and PSTATE exactly;
 * - COMPLETE_AND_RESUME to VBAR_EL1 + 0x280, as Linux does, enters the IRQ
 *   vector with ELR_EL1 and SPSR_EL1 = interrupted PC and PSTATE;
 * - a SIGNAL while the handler runs is delivered once, after COMPLETE;
 * - UNREGISTER in the handler is PENDING, STATUS then says running only
 *   (4, as TF-A), and the unregistration finishes at COMPLETE;
 * - PRIVATE_RESET in the handler is DENIED, unregisters at COMPLETE;
 * - DISABLE in the handler keeps the event registered and disabled; a
 *   SIGNAL then succeeds and is held until ENABLE, which returns into it;
 * - over SMC, the handler interrupts the instruction after the SMC, and
 *   the SMC is not executed again after COMPLETE.
 */
#include "sdei.h"
#include "test_util.h"

#define ARG		0xa5a5000012345678ULL
#define NZCV_ZC		0x60000000ULL
#define PATTERN(n)	SDEI_PATTERN(n)

/* ID_AA64PFR1_EL1.SSBS, and the registers with no name in older assemblers. */
#define read_pan()	({ uint64_t v; asm volatile("mrs %0, s3_0_c4_c2_3" : "=r"(v)); v; })
#define read_dit()	({ uint64_t v; asm volatile("mrs %0, s3_3_c4_c2_5" : "=r"(v)); v; })
#define write_dit(v)	asm volatile("msr s3_3_c4_c2_5, %0" :: "r"((uint64_t)(v)))
#define read_ssbs()	({ uint64_t v; asm volatile("mrs %0, s3_3_c4_c2_6" : "=r"(v)); v; })

enum mode {
	PLAIN,
	RESUME_AT_IRQ_VECTOR,
	SIGNAL_AGAIN,
	UNREGISTER,
	PRIVATE_RESET,
	DISABLE,
	SMC_CONDUIT,
};

uint64_t after[19];

SDEI_DEFINE_SIGNAL_WITH_PATTERN();
SDEI_DEFINE_HANDLER_ENTRY();

/* SDEI_EVENT_SIGNAL(0, @mpidr) over SMC; returns its result. */
uint64_t signal_over_smc(uint64_t mpidr);
extern char sdei_after_smc[];
asm(".text\n"
    ".globl signal_over_smc\n"
    ".balign 4\n"
    "signal_over_smc:\n"
    "	mov	x2, x0\n"
    "	movz	x0, #0x002f\n"
    "	movk	x0, #0xc400, lsl #16\n"	/* SDEI_EVENT_SIGNAL */
    "	mov	x1, #0\n"
    "	smc	#0\n"
    ".globl sdei_after_smc\n"
    "sdei_after_smc:\n"
    "	ret\n");

static volatile enum mode mode;
static volatile int entries;
static struct sdei_entry_regs seen;
static uint64_t seen_daif, seen_el, seen_spsel, seen_pan, seen_dit, seen_ssbs;
static uint64_t seen_context[18], seen_status;
static volatile uint64_t irq_elr, irq_spsr;
static volatile int irqs;

static void handler(struct sdei_entry_regs *regs)
{
	int i;

	if (entries++)
		return;	/* the second delivery of SIGNAL_AGAIN: just complete */

	seen = *regs;
	seen_daif = read_sysreg(daif);
	seen_el = read_sysreg(CurrentEL);
	seen_spsel = read_sysreg(spsel);
	seen_pan = read_pan();
	seen_dit = read_dit();
	seen_ssbs = read_ssbs();
	for (i = 0; i < 18; i++)
		seen_context[i] = sdei(SDEI_FN_CONTEXT, i);
	seen_status = sdei(SDEI_FN_STATUS, SDEI_EV_SW);
	CHECK(INVALID_PARAMETERS, SDEI_FN_CONTEXT, 18);
	CHECK(DENIED, SDEI_FN_REGISTER, SDEI_EV_SW, (uint64_t)sdei_entry, 0, 0, 0);

	switch (mode) {
	case PLAIN:
		break;
	case RESUME_AT_IRQ_VECTOR:
		sdei_finish_fn = SDEI_FN_COMPLETE_AND_RESUME;
		sdei_finish_arg = read_sysreg(vbar_el1) + 0x280;
		break;
	case SIGNAL_AGAIN:
		CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
		CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
		break;
	case UNREGISTER:
		CHECK(PENDING, SDEI_FN_UNREGISTER, SDEI_EV_SW);
		CHECK(4, SDEI_FN_STATUS, SDEI_EV_SW);
		CHECK(PENDING, SDEI_FN_UNREGISTER, SDEI_EV_SW);
		break;
	case PRIVATE_RESET:
		CHECK(DENIED, SDEI_FN_PRIVATE_RESET);
		break;
	case DISABLE:
		CHECK(0, SDEI_FN_DISABLE, SDEI_EV_SW);
		CHECK(SDEI_ST_REGISTERED | SDEI_ST_RUNNING, SDEI_FN_STATUS, SDEI_EV_SW);
		break;
	case SMC_CONDUIT:
		break;
	}
}

static void irq_vector(struct ex_regs *regs)
{
	irqs++;
	irq_elr = regs->pc;
	irq_spsr = regs->pstate;
}

static void check_resumed(void)
{
	int n;

	GUEST_ASSERT_EQ(after[0], 0);		/* SIGNAL's own result */
	GUEST_ASSERT_EQ(after[1], SDEI_EV_SW);
	GUEST_ASSERT_EQ(after[2], guest_mpidr());
	for (n = 3; n < 18; n++)
		GUEST_ASSERT_EQ(after[n], PATTERN(n));
	GUEST_ASSERT_EQ(after[18] & PSR_NZCV, NZCV_ZC);
}

static void check_entry(uint64_t sctlr)
{
	uint64_t interrupted_pstate = seen.x[3];
	int n;

	GUEST_ASSERT_EQ(seen.x[0], SDEI_EV_SW);
	GUEST_ASSERT_EQ(seen.x[1], ARG);
	GUEST_ASSERT_EQ(seen.x[2], (uint64_t)sdei_after_signal);
	GUEST_ASSERT_EQ(interrupted_pstate & PSR_MODE_MASK_BITS, PSR_EL1H);
	GUEST_ASSERT_EQ(interrupted_pstate & PSR_NZCV, NZCV_ZC);
	GUEST_ASSERT(interrupted_pstate & PSR_DIT);
	for (n = 4; n < 18; n++)
		GUEST_ASSERT_EQ(seen.x[n], PATTERN(n));

	GUEST_ASSERT_EQ(seen_el, 1 << 2);
	GUEST_ASSERT_EQ(seen_spsel, 1);
	GUEST_ASSERT_EQ(seen_daif, PSR_DAIF);
	GUEST_ASSERT_EQ(seen.nzcv, 0);
	GUEST_ASSERT_EQ(seen_dit, PSR_DIT);
	GUEST_ASSERT_EQ(seen_pan, (sctlr & SCTLR_SPAN) ? 0 : PSR_PAN);
	if ((read_sysreg(id_aa64pfr1_el1) >> 4) & 0xf)
		GUEST_ASSERT_EQ(seen_ssbs, (sctlr & SCTLR_DSSBS) ? PSR_SSBS : 0);

	for (n = 0; n < 3; n++)
		GUEST_ASSERT_EQ(seen_context[n], after[n]);
	for (n = 3; n < 18; n++)
		GUEST_ASSERT_EQ(seen_context[n], PATTERN(n));
	GUEST_ASSERT_EQ(seen_status,
			SDEI_ST_REGISTERED | SDEI_ST_ENABLED | SDEI_ST_RUNNING);
}

static void run_once(enum mode m, uint64_t sctlr)
{
	mode = m;
	entries = 0;
	irqs = 0;
	sdei_finish_fn = SDEI_FN_COMPLETE;
	write_sysreg(sctlr, sctlr_el1);
	isb();
	write_dit(PSR_DIT);
	signal_with_pattern(guest_mpidr(), after);
	write_dit(0);

	check_resumed();
	check_entry(sctlr);
}

static void guest_code(void)
{
	uint64_t sctlr = read_sysreg(sctlr_el1);
	uint64_t variants[] = {
		sctlr & ~(SCTLR_SPAN | SCTLR_DSSBS),
		sctlr | SCTLR_SPAN | SCTLR_DSSBS,
	};
	int i;

	sdei_ready(SDEI_EV_SW, ARG);

	for (i = 0; i < ARRAY_SIZE(variants); i++) {
		run_once(PLAIN, variants[i]);
		GUEST_ASSERT_EQ(entries, 1);
		GUEST_ASSERT_EQ(irqs, 0);
	}
	write_sysreg(sctlr, sctlr_el1);
	isb();
	GUEST_SYNC(PLAIN);

	run_once(RESUME_AT_IRQ_VECTOR, sctlr);
	GUEST_ASSERT_EQ(irqs, 1);
	GUEST_ASSERT_EQ(irq_elr, (uint64_t)sdei_after_signal);
	GUEST_ASSERT_EQ(irq_spsr, seen.x[3]);
	GUEST_SYNC(RESUME_AT_IRQ_VECTOR);

	run_once(SIGNAL_AGAIN, sctlr);
	GUEST_ASSERT_EQ(entries, 2);	/* once more, not twice more */
	GUEST_SYNC(SIGNAL_AGAIN);

	run_once(DISABLE, sctlr);
	CHECK(SDEI_ST_REGISTERED, SDEI_FN_STATUS, SDEI_EV_SW);
	mode = PLAIN;
	CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
	GUEST_ASSERT_EQ(entries, 1);
	CHECK(0, SDEI_FN_ENABLE, SDEI_EV_SW);
	GUEST_ASSERT_EQ(entries, 2);
	GUEST_SYNC(DISABLE);

	run_once(UNREGISTER, sctlr);
	CHECK(0, SDEI_FN_STATUS, SDEI_EV_SW);
	sdei_ready(SDEI_EV_SW, ARG);
	GUEST_SYNC(UNREGISTER);

	run_once(PRIVATE_RESET, sctlr);
	CHECK(0, SDEI_FN_STATUS, SDEI_EV_SW);
	GUEST_SYNC(PRIVATE_RESET);

	sdei_ready(SDEI_EV_SW, ARG);
	mode = SMC_CONDUIT;
	entries = 0;
	GUEST_ASSERT_EQ(signal_over_smc(guest_mpidr()), 0);
	GUEST_ASSERT_EQ(entries, 1);
	GUEST_ASSERT_EQ(seen.x[2], (uint64_t)sdei_after_smc);
	GUEST_SYNC(SMC_CONDUIT);

	GUEST_DONE();
}

static const char *const mode_names[] = {
	[PLAIN] = "entry registers and PSTATE (SPAN/DSSBS both ways), CONTEXT, COMPLETE",
	[RESUME_AT_IRQ_VECTOR] = "COMPLETE_AND_RESUME at VBAR_EL1 + 0x280",
	[SIGNAL_AGAIN] = "a SIGNAL while running is delivered once, after COMPLETE",
	[DISABLE] = "DISABLE in the handler",
	[UNREGISTER] = "UNREGISTER in the handler is PENDING until COMPLETE",
	[PRIVATE_RESET] = "PRIVATE_RESET in the handler is DENIED, unregisters at COMPLETE",
	[SMC_CONDUIT] = "over SMC, the handler interrupts the instruction after the SMC",
};

static void passed(struct kvm_vcpu **vcpu, uint64_t stage)
{
	ksft_test_result_pass("%s\n", mode_names[stage]);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(mode_names));

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_install_irq_vector(vm, vcpu, irq_vector);
	sdei_set_handler(vm, handler);

	sdei_run_syncs(&vcpu, passed);
	kvm_vm_free(vm);
	ksft_finished();
}
