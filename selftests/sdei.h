/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm-sdei selftests: SDEI calls and an SDEI event
 * handler for the guest, and the few facts about the provider the tests
 * check against.
 */
#ifndef SELFTEST_KVM_SDEI_H
#define SELFTEST_KVM_SDEI_H

#include <linux/arm_sdei.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
#include <asm/cputype.h>

#include "kvm_util.h"
#include "processor.h"

#define SDEI_FN(n)		SDEI_1_0_FN(n)
#define SDEI_FN_VERSION		SDEI_1_0_FN_SDEI_VERSION
#define SDEI_FN_REGISTER	SDEI_1_0_FN_SDEI_EVENT_REGISTER
#define SDEI_FN_ENABLE		SDEI_1_0_FN_SDEI_EVENT_ENABLE
#define SDEI_FN_DISABLE		SDEI_1_0_FN_SDEI_EVENT_DISABLE
#define SDEI_FN_CONTEXT		SDEI_1_0_FN_SDEI_EVENT_CONTEXT
#define SDEI_FN_COMPLETE	SDEI_1_0_FN_SDEI_EVENT_COMPLETE
#define SDEI_FN_COMPLETE_AND_RESUME SDEI_1_0_FN_SDEI_EVENT_COMPLETE_AND_RESUME
#define SDEI_FN_UNREGISTER	SDEI_1_0_FN_SDEI_EVENT_UNREGISTER
#define SDEI_FN_STATUS		SDEI_1_0_FN_SDEI_EVENT_STATUS
#define SDEI_FN_GET_INFO	SDEI_1_0_FN_SDEI_EVENT_GET_INFO
#define SDEI_FN_ROUTING_SET	SDEI_1_0_FN_SDEI_EVENT_ROUTING_SET
#define SDEI_FN_PE_MASK		SDEI_1_0_FN_SDEI_PE_MASK
#define SDEI_FN_PE_UNMASK	SDEI_1_0_FN_SDEI_PE_UNMASK
#define SDEI_FN_INTERRUPT_BIND	SDEI_1_0_FN_SDEI_INTERRUPT_BIND
#define SDEI_FN_INTERRUPT_RELEASE SDEI_1_0_FN_SDEI_INTERRUPT_RELEASE
#define SDEI_FN_SIGNAL		SDEI_1_0_FN_SDEI_EVENT_SIGNAL
#define SDEI_FN_FEATURES	SDEI_1_1_FN_SDEI_FEATURES
#define SDEI_FN_PRIVATE_RESET	SDEI_1_0_FN_SDEI_PRIVATE_RESET
#define SDEI_FN_SHARED_RESET	SDEI_1_0_FN_SDEI_SHARED_RESET

#define SDEI_EXPECTED_VERSION	((1ULL << 48) | (1ULL << 32))
#define SDEI_EV_SW		0ULL
#define SDEI_EV_ASYNC_PF	((uint64_t)KVM_ARM_SDEI_ASYNC_PF_EVENT)

/* EVENT_STATUS results. */
#define SDEI_ST_REGISTERED	BIT(SDEI_EVENT_STATUS_REGISTERED)
#define SDEI_ST_ENABLED		BIT(SDEI_EVENT_STATUS_ENABLED)
#define SDEI_ST_RUNNING		BIT(SDEI_EVENT_STATUS_RUNNING)

#define NOT_SUPPORTED		((uint64_t)SDEI_NOT_SUPPORTED)
#define INVALID_PARAMETERS	((uint64_t)SDEI_INVALID_PARAMETERS)
#define DENIED			((uint64_t)SDEI_DENIED)
#define PENDING			((uint64_t)SDEI_PENDING)

/* PSTATE and SCTLR_EL1 bits the delivery tests look at. */
#define PSR_MODE_MASK_BITS	0x1fULL
#define PSR_EL1H		0x5ULL
#define PSR_DAIF		(0xfULL << 6)
#define PSR_SSBS		BIT(12)
#define PSR_PAN			BIT(22)
#define PSR_DIT			BIT(24)
#define PSR_NZCV		(0xfULL << 28)
#define SCTLR_SPAN		BIT(23)
#define SCTLR_DSSBS		BIT(44)

enum sdei_conduit {
	SDEI_HVC,
	SDEI_SMC,
};

/* Calls SDEI function @fn from the guest; returns x0. */
static inline uint64_t sdei_call(enum sdei_conduit conduit, uint32_t fn,
				 uint64_t a1, uint64_t a2, uint64_t a3,
				 uint64_t a4, uint64_t a5)
{
	struct arm_smccc_res res;

	if (conduit == SDEI_HVC)
		smccc_hvc(fn, a1, a2, a3, a4, a5, 0, 0, &res);
	else
		smccc_smc(fn, a1, a2, a3, a4, a5, 0, 0, &res);

	return res.a0;
}

/* The conduit sdei() uses; a test may switch it to SMC. */
static enum sdei_conduit sdei_conduit = SDEI_HVC;

#define sdei(fn, ...)	sdei_n(fn, ##__VA_ARGS__, 0, 0, 0, 0, 0)
#define sdei_n(fn, a1, a2, a3, a4, a5, ...) \
	sdei_call(sdei_conduit, fn, a1, a2, a3, a4, a5)

/* Calls @fn with the arguments that follow and asserts x0 == @want. */
#define CHECK(want, fn, ...) \
	GUEST_ASSERT_EQ(sdei(fn, ##__VA_ARGS__), (uint64_t)(want))

/* The guest's own MPIDR, as SIGNAL and REGISTER take it. */
static inline uint64_t guest_mpidr(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_HWID_BITMASK;
}

/* Is SDEI offered to this VM, as KVM_REG_ARM_STD_BMAP tells the VMM? */
static inline bool sdei_bmap_bit(struct kvm_vcpu *vcpu)
{
	return vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP) & BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1);
}

/*
 * The SDEI registers, as Documentation/virt/kvm/arm/fw-pseudo-registers.rst
 * gives them: literals here, so that the tests check KVM's header rather
 * than follow it.
 */
#define REG_STATUS	KVM_REG_ARM_FW_REG(0x100)
#define REG_CTX_X(n)	KVM_REG_ARM_FW_REG(0x110 + (n))
#define REG_CTX_PC	KVM_REG_ARM_FW_REG(0x122)
#define REG_CTX_PSTATE	KVM_REG_ARM_FW_REG(0x123)
#define REG_ENTRY(e)	KVM_REG_ARM_FW_REG(0x140 + 0x10 * (e))
#define REG_ARG(e)	KVM_REG_ARM_FW_REG(0x141 + 0x10 * (e))
#define NR_SDEI_REGS	25
#define IS_SDEI_REG(id)	((id) >= KVM_REG_ARM_FW_REG(0x100) && (id) <= KVM_REG_ARM_FW_REG(0x1ff))
/* STATUS bit 0: the PE is masked, as it is out of reset. */
#define ST_MASKED	1ULL

/* The SDEI registers in the order KVM_GET_REG_LIST gives them. */
static inline void sdei_reg_ids(uint64_t ids[NR_SDEI_REGS])
{
	int i, n = 0;

	ids[n++] = REG_STATUS;
	for (i = 0; i < 18; i++)
		ids[n++] = REG_CTX_X(i);
	ids[n++] = REG_CTX_PC;
	ids[n++] = REG_CTX_PSTATE;
	for (i = 0; i < 2; i++) {
		ids[n++] = REG_ENTRY(i);
		ids[n++] = REG_ARG(i);
	}
}

/*
 * What a vCPU without SDEI shows the VMM: every SDEI register is listed
 * and holds the state out of reset (STATUS masked, the rest 0), SET takes
 * that value back and refuses any other with EINVAL, changing nothing.
 */
static inline void sdei_assert_reset_regs(struct kvm_vcpu *vcpu, const char *what)
{
	struct kvm_reg_list *list = vcpu_get_reg_list(vcpu);
	uint64_t ids[NR_SDEI_REGS], i, found = 0;

	sdei_reg_ids(ids);
	for (i = 0; i < list->n; i++)
		found += IS_SDEI_REG(list->reg[i]);
	TEST_ASSERT(found == NR_SDEI_REGS, "%s: %lu SDEI registers listed, want %d",
		    what, found, NR_SDEI_REGS);
	for (i = 0; i < NR_SDEI_REGS; i++) {
		uint64_t reset = ids[i] == REG_STATUS ? ST_MASKED : 0, val = ~reset;

		TEST_ASSERT(!__vcpu_get_reg(vcpu, ids[i], &val) && val == reset,
			    "%s: %#lx reads %#lx, want its reset value %#lx", what, ids[i],
			    val, reset);
		TEST_ASSERT(!__vcpu_set_reg(vcpu, ids[i], reset),
			    "%s: %#lx refuses its reset value: %s", what, ids[i], strerror(errno));
		TEST_ASSERT(__vcpu_set_reg(vcpu, ids[i], reset ^ 2) && errno == EINVAL,
			    "%s: %#lx must refuse anything but its reset value", what, ids[i]);
		TEST_ASSERT_EQ(vcpu_get_reg(vcpu, ids[i]), reset);
	}
	free(list);
}

/*
 * The guest's SDEI event handler. sdei_entry is what the guest registers:
 * it saves x0-x30 and NZCV as the provider entered it, calls
 * sdei_handler(), restores the callee-saved registers, and finishes with
 * sdei_finish_fn(sdei_finish_arg): COMPLETE unless a test says otherwise.
 */
struct sdei_entry_regs {
	uint64_t x[31];
	uint64_t nzcv;
};

void sdei_entry(void);
void sdei_entry_c(struct sdei_entry_regs *regs);

/* Set by each test; runs in the guest. */
extern void (*sdei_handler)(struct sdei_entry_regs *regs);
extern uint64_t sdei_finish_fn;
extern uint64_t sdei_finish_arg;

/*
 * Installs @irq as @vcpu's handler for IRQs taken at EL1h: where
 * COMPLETE_AND_RESUME to VBAR_EL1 + 0x280 lands.
 */
static inline void sdei_install_irq_vector(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
					   handler_fn irq)
{
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, irq);
}

/*
 * A VM of @n vCPUs with PSCI 1.x (KVM_ARM_VCPU_PSCI_0_2, for CPU_ON,
 * CPU_SUSPEND, SYSTEM_SUSPEND), vCPU i running @code[i].
 */
static inline struct kvm_vm *sdei_vm_with_psci(int n, struct kvm_vcpu **vcpus,
					       void *const code[])
{
	struct kvm_vcpu_init init;
	struct kvm_vm *vm = vm_create(n);
	int i;

	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < n; i++)
		vcpus[i] = aarch64_vcpu_add(vm, i, &init, code[i]);
	/* The library's default vGIC is initialized once every vCPU exists. */
	kvm_arch_vm_finalize_vcpus(vm);
	return vm;
}

/* Makes @handler the guest's SDEI handler, in the guest's memory. */
static inline void sdei_set_handler(struct kvm_vm *vm,
				    void (*handler)(struct sdei_entry_regs *regs))
{
	sdei_handler = handler;
	sync_global_to_guest(vm, sdei_handler);
}

#define SDEI_DEFINE_HANDLER_ENTRY()					\
void (*sdei_handler)(struct sdei_entry_regs *regs);			\
uint64_t sdei_finish_fn = SDEI_FN_COMPLETE;				\
uint64_t sdei_finish_arg;						\
void sdei_entry_c(struct sdei_entry_regs *regs)				\
{									\
	sdei_handler(regs);						\
}									\
asm(".text\n"								\
    ".globl sdei_entry\n"						\
    ".balign 4\n"							\
    "sdei_entry:\n"							\
    "	sub	sp, sp, #256\n"						\
    "	stp	x0, x1, [sp, #0]\n"					\
    "	stp	x2, x3, [sp, #16]\n"					\
    "	stp	x4, x5, [sp, #32]\n"					\
    "	stp	x6, x7, [sp, #48]\n"					\
    "	stp	x8, x9, [sp, #64]\n"					\
    "	stp	x10, x11, [sp, #80]\n"					\
    "	stp	x12, x13, [sp, #96]\n"					\
    "	stp	x14, x15, [sp, #112]\n"					\
    "	stp	x16, x17, [sp, #128]\n"					\
    "	stp	x18, x19, [sp, #144]\n"					\
    "	stp	x20, x21, [sp, #160]\n"					\
    "	stp	x22, x23, [sp, #176]\n"					\
    "	stp	x24, x25, [sp, #192]\n"					\
    "	stp	x26, x27, [sp, #208]\n"					\
    "	stp	x28, x29, [sp, #224]\n"					\
    "	mrs	x9, nzcv\n"						\
    "	stp	x30, x9, [sp, #240]\n"					\
    "	mov	x0, sp\n"						\
    "	bl	sdei_entry_c\n"						\
    "	ldp	x18, x19, [sp, #144]\n"					\
    "	ldp	x20, x21, [sp, #160]\n"					\
    "	ldp	x22, x23, [sp, #176]\n"					\
    "	ldp	x24, x25, [sp, #192]\n"					\
    "	ldp	x26, x27, [sp, #208]\n"					\
    "	ldp	x28, x29, [sp, #224]\n"					\
    "	ldr	x30, [sp, #240]\n"					\
    "	add	sp, sp, #256\n"						\
    "	adrp	x9, sdei_finish_fn\n"					\
    "	ldr	x0, [x9, :lo12:sdei_finish_fn]\n"			\
    "	adrp	x9, sdei_finish_arg\n"					\
    "	ldr	x1, [x9, :lo12:sdei_finish_arg]\n"			\
    "	hvc	#0\n"							\
    /* Only a refused COMPLETE returns here. */			\
    "	brk	#0x5de1\n")

/*
 * signal_with_pattern(mpidr, after) is interrupted code with known
 * registers: it puts SDEI_PATTERN(n) in x3-x17 and Z|C in NZCV, signals
 * event 0 to @mpidr, and when it resumes at sdei_after_signal stores x0-x17
 * and NZCV in after[0..18].
 */
#define SDEI_PATTERN(n)		(0x5d00 + (n))

void signal_with_pattern(uint64_t mpidr, uint64_t *after);
extern char sdei_after_signal[];

#define SDEI_DEFINE_SIGNAL_WITH_PATTERN()				\
	asm(".text\n"                                                   \
	".globl signal_with_pattern\n"                                  \
	".balign 4\n"                                                   \
	"signal_with_pattern:\n"                                        \
	"	stp	x29, x30, [sp, #-16]!\n"                                  \
	"	stp	x19, x20, [sp, #-16]!\n"                                  \
	"	mov	x19, x1\n"                                                \
	"	mov	x2, x0\n"                                                 \
	"	movz	x0, #0x002f\n"                                           \
	"	movk	x0, #0xc400, lsl #16\n"                                  \
	"	mov	x1, #0\n"                                                 \
	"	mov	x3, #0x5d03\n	mov	x4, #0x5d04\n	mov	x5, #0x5d05\n"        \
	"	mov	x6, #0x5d06\n	mov	x7, #0x5d07\n	mov	x8, #0x5d08\n"        \
	"	mov	x9, #0x5d09\n	mov	x10, #0x5d0a\n	mov	x11, #0x5d0b\n"      \
	"	mov	x12, #0x5d0c\n	mov	x13, #0x5d0d\n	mov	x14, #0x5d0e\n"     \
	"	mov	x15, #0x5d0f\n	mov	x16, #0x5d10\n	mov	x17, #0x5d11\n"     \
	"	mov	x20, #0x60000000\n"                                       \
	"	msr	nzcv, x20\n"                                              \
	"	hvc	#0\n"                                                     \
	".globl sdei_after_signal\n"                                    \
	"sdei_after_signal:\n"                                          \
	"	stp	x0, x1, [x19, #0]\n	stp	x2, x3, [x19, #16]\n"             \
	"	stp	x4, x5, [x19, #32]\n	stp	x6, x7, [x19, #48]\n"            \
	"	stp	x8, x9, [x19, #64]\n	stp	x10, x11, [x19, #80]\n"          \
	"	stp	x12, x13, [x19, #96]\n	stp	x14, x15, [x19, #112]\n"       \
	"	stp	x16, x17, [x19, #128]\n"                                  \
	"	mrs	x20, nzcv\n"                                              \
	"	str	x20, [x19, #144]\n"                                       \
	"	ldp	x19, x20, [sp], #16\n"                                    \
	"	ldp	x29, x30, [sp], #16\n"                                    \
	"	ret\n")

/* Registers event @ev with sdei_entry, enables it and unmasks the vCPU. */
static inline void sdei_ready(uint64_t ev, uint64_t arg)
{
	GUEST_ASSERT_EQ(sdei(SDEI_FN_REGISTER, ev, (uint64_t)sdei_entry, arg, 0, 0), 0);
	GUEST_ASSERT_EQ(sdei(SDEI_FN_ENABLE, ev), 0);
	sdei(SDEI_FN_PE_UNMASK);
}

/*
 * Runs *@vcpu until the guest is done, printing its GUEST_PRINTFs and
 * calling @on_sync for each GUEST_SYNC(stage). @on_sync may replace the
 * vCPU (a migration does).
 */
static inline void sdei_run_syncs(struct kvm_vcpu **vcpu,
				  void (*on_sync)(struct kvm_vcpu **vcpu, uint64_t stage))
{
	struct ucall uc;

	for (;;) {
		vcpu_run(*vcpu);
		switch (get_ucall(*vcpu, &uc)) {
		case UCALL_PRINTF:
			printf("%s", uc.buffer);
			break;
		case UCALL_SYNC:
			TEST_ASSERT(on_sync, "unexpected GUEST_SYNC(%lu)", uc.args[1]);
			on_sync(vcpu, uc.args[1]);
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			return;
		case UCALL_DONE:
			return;
		default:
			TEST_FAIL("vCPU %u: unexpected exit %s, ucall %lu",
				  (*vcpu)->id, exit_reason_str((*vcpu)->run->exit_reason),
				  uc.cmd);
		}
	}
}

/* Runs @vcpu until it is done, printing its GUEST_PRINTFs. */
static inline void sdei_run_to_done(struct kvm_vcpu *vcpu)
{
	sdei_run_syncs(&vcpu, NULL);
}

/*
 * The synthetic event source, modules/sdei_test_inject.ko (no part of the
 * series): its ioctl calls kvm_sdei_inject_event() on a vCPU's fd.
 */
struct sdei_test_inject {
	int32_t vcpu_fd;
	uint32_t event;
};

#define SDEI_TEST_INJECT	_IOW('S', 0x01, struct sdei_test_inject)

/* Raises @event on the vCPU whose fd is @vcpu_fd; returns 0 or the errno. */
static inline int sdei_inject_fd(int vcpu_fd, uint32_t event)
{
	struct sdei_test_inject req = { .vcpu_fd = vcpu_fd, .event = event };
	int fd, err = 0;

	fd = open("/dev/sdei_test_inject", O_RDWR);
	TEST_ASSERT(fd >= 0, "open /dev/sdei_test_inject (sdei_test_inject.ko loaded?): %s",
		    strerror(errno));
	if (ioctl(fd, SDEI_TEST_INJECT, &req))
		err = errno;
	close(fd);
	return err;
}

/* Raises @event on vCPU @vcpu_id of @vm; returns 0 or the errno. */
static inline int sdei_inject(struct kvm_vm *vm, uint32_t vcpu_id, uint32_t event)
{
	struct kvm_vcpu *vcpu;

	list_for_each_entry(vcpu, &vm->vcpus, list) {
		if (vcpu->id == vcpu_id)
			return sdei_inject_fd(vcpu->fd, event);
	}
	TEST_FAIL("no vCPU %u", vcpu_id);
	return 0;
}

static inline void *sdei_vcpu_thread(void *vcpu)
{
	sdei_run_to_done(vcpu);
	return NULL;
}

/*
 * Runs each of @vcpus to completion in a thread of its own. A vCPU that
 * is not done within @timeout_s seconds (stuck in WFI, say) fails the
 * test rather than hanging it.
 */
static inline void sdei_run_vcpus(struct kvm_vcpu **vcpus, int n, int timeout_s)
{
	pthread_t *threads = calloc(n, sizeof(*threads));
	struct timespec deadline;
	int i, r;

	TEST_ASSERT(threads, "out of memory");
	for (i = 0; i < n; i++)
		pthread_create(&threads[i], NULL, sdei_vcpu_thread, vcpus[i]);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_s;
	for (i = 0; i < n; i++) {
		r = pthread_timedjoin_np(threads[i], NULL, &deadline);
		TEST_ASSERT(!r, "vCPU %d not done after %ds: %s", i, timeout_s, strerror(r));
	}
	free(threads);
}

#endif /* SELFTEST_KVM_SDEI_H */
