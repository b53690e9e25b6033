// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_bench - what SDEI costs a guest, on its virtual counter.
 *
 * Not a test: `make bench` runs it and prints a table. In one VM:
 * - SDEI_VERSION against PSCI_VERSION, which KVM answers in C on the same
 *   exit path: the round-trip ratio; and, as a control, TRNG_VERSION (C
 *   too, in another file) against PSCI_VERSION;
 * - SIGNAL to itself, handler entry, COMPLETE and back, against one plain
 *   hypercall round trip (the floor is about 2: two exits), with a handler
 *   that only counts and completes, and with a C handler behind the usual
 *   register-saving trampoline;
 * - SIGNAL to another vCPU until its handler runs, with the target busy
 *   and with it waiting in WFI.
 * Medians over batches, with the 10th and 90th percentiles. The two sides
 * of a ratio run in alternating batches and each pair gives one ratio, so
 * drift hits both sides alike. The other vCPU waits in WFI while the main
 * one measures ratios, so it takes no host CPU from it.
 */
#include <linux/psci.h>

#include "sdei.h"
#include "bench.h"
#include "test_util.h"

#define BATCHES		401
#define PER_BATCH	64
#define LATENCY_RUNS	201

/*
 * The least a handler does: count the event at the address its argument
 * gives, then complete. It only uses x0-x17, which COMPLETE restores.
 */
void sdei_counting_entry(void);
asm(".text\n"
    ".globl sdei_counting_entry\n"
    ".balign 4\n"
    "sdei_counting_entry:\n"
    "	ldr	x2, [x1]\n"
    "	add	x2, x2, #1\n"
    "	str	x2, [x1]\n"
    "	movz	x0, #0x0025\n"
    "	movk	x0, #0xc400, lsl #16\n"	/* SDEI_EVENT_COMPLETE */
    "	hvc	#0\n"
    "	brk	#0x5de2\n");
_Static_assert(SDEI_1_0_FN_SDEI_EVENT_COMPLETE == 0xc4000025, "COMPLETE id");

enum target_mode {
	TARGET_WFI,	/* also how it waits while the ratios are measured */
	TARGET_BUSY,
	TARGET_DONE,
};

static uint64_t handled, counted, entry_time, target_mpidr, target_ready;
static uint64_t target_mode = TARGET_WFI, target_seen = TARGET_WFI;
static bool timestamp_entry;

static inline uint64_t now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static void handler(struct sdei_entry_regs *regs)
{
	/* Only the latency runs need the time (an ISB is costly under TCG). */
	if (timestamp_entry)
		__atomic_store_n(&entry_time, now(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
}

static uint64_t a[BATCHES], b[BATCHES], r[BATCHES];

/*
 * Millitick per operation of each batch, for @op_a and @op_b alternately,
 * and the ratio a / b of each pair (times 1000).
 */
#define MEASURE(op_a, op_b)						\
	for (int i = 0; i < BATCHES; i++) {				\
		uint64_t t0 = now();					\
		for (int k = 0; k < PER_BATCH; k++)			\
			op_a;						\
		uint64_t t1 = now();					\
		for (int k = 0; k < PER_BATCH; k++)			\
			op_b;						\
		uint64_t t2 = now();					\
		a[i] = (t1 - t0) * 1000 / PER_BATCH;			\
		b[i] = (t2 - t1) * 1000 / PER_BATCH;			\
		r[i] = a[i] * 1000 / b[i];				\
	}								\
	sort_u64(a, BATCHES);						\
	sort_u64(b, BATCHES);						\
	sort_u64(r, BATCHES)

/* Median, 10th and 90th percentiles of the @n sorted milliticks @v. */
static void report_n(const char *what, uint64_t *v, int n)
{
	GUEST_PRINTF("| %-40s | %9lu | %9lu | %9lu |\n", what,
		     v[n / 2] / 1000, v[n / 10] / 1000, v[n * 9 / 10] / 1000);
}

#define report(what, v)	report_n(what, v, BATCHES)

/* The per-pair ratios of the last MEASURE(), to three decimals. */
static void ratio(const char *what)
{
	uint64_t mid = r[BATCHES / 2], lo = r[BATCHES / 10];
	uint64_t hi = r[BATCHES * 9 / 10];

	GUEST_PRINTF("| %-40s | %5lu.%03lu | %5lu.%03lu | %5lu.%03lu |\n", what,
		     mid / 1000, mid % 1000, lo / 1000, lo % 1000,
		     hi / 1000, hi % 1000);
}

static void signal_self_cycle(void)
{
	sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
}

static void psci_version(void)
{
	struct arm_smccc_res res;

	smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
}

/* Registers event 0 with @entry and @arg, enabled. */
static void use_handler(void (*entry)(void), uint64_t arg)
{
	SDEI_CHECK(0, SDEI_FN_UNREGISTER, SDEI_EV_SW);
	SDEI_CHECK(0, SDEI_FN_REGISTER, SDEI_EV_SW, (uint64_t)entry, arg, 0, 0);
	SDEI_CHECK(0, SDEI_FN_ENABLE, SDEI_EV_SW);
}

/*
 * Long enough, under TCG, for the target to take an event and go back to
 * what its mode has it do (a few exits).
 */
#define SETTLE_TICKS	20000

static void settle(void)
{
	for (uint64_t t = now(); now() - t < SETTLE_TICKS;)
		cpu_relax();
}

/* Moves the target to @mode, signalling it until it has seen it. */
static void set_target_mode(enum target_mode mode)
{
	__atomic_store_n(&target_mode, mode, __ATOMIC_RELEASE);
	while (__atomic_load_n(&target_seen, __ATOMIC_ACQUIRE) != mode) {
		/* An event wakes it from WFI; a signal already pending is fine. */
		sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
		settle();
	}
}

/* Another service KVM answers in C, in its own file: a control. */
#define TRNG_VERSION	0x84000050	/* SMC32 fast call, standard service */

static void trng_version(void)
{
	struct arm_smccc_res res;

	smccc_hvc(TRNG_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
}

static void measure_latency(uint64_t *v)
{
	for (int i = 0; i < LATENCY_RUNS; i++) {
		uint64_t t0, entered;

		/* Let the target settle (into WFI, for that mode). */
		settle();
		t0 = now();
		sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
		/* Only an entry after t0 is this signal's. */
		while ((entered = __atomic_load_n(&entry_time, __ATOMIC_ACQUIRE)) < t0)
			cpu_relax();
		v[i] = (entered - t0) * 1000;
	}
	sort_u64(v, LATENCY_RUNS);
}

static void main_vcpu(void)
{
	sdei_ready(SDEI_EV_SW, 0);
	GUEST_PRINTF("virtual counter: %lu Hz\n", read_sysreg(cntfrq_el0));
	GUEST_PRINTF("| %-40s | %9s | %9s | %9s |\n", "counter ticks per operation",
		     "median", "p10", "p90");
	GUEST_PRINTF("|------------------------------------------|-----------|-----------|-----------|\n");

	/* The target parks in WFI once ready, out of the measurements' way. */
	while (!__atomic_load_n(&target_ready, __ATOMIC_ACQUIRE))
		cpu_relax();

	MEASURE(sdei(SDEI_FN_VERSION), psci_version());
	report("SDEI_VERSION round trip", a);
	report("PSCI_VERSION round trip", b);
	ratio("ratio SDEI_VERSION / PSCI_VERSION");
	MEASURE(trng_version(), psci_version());
	ratio("control: TRNG_VERSION / PSCI_VERSION");

	use_handler(sdei_counting_entry, (uint64_t)&counted);
	MEASURE(signal_self_cycle(), psci_version());
	GUEST_ASSERT_EQ(__atomic_load_n(&counted, __ATOMIC_ACQUIRE), BATCHES * PER_BATCH);
	report("SIGNAL(self) -> handler -> COMPLETE", a);
	ratio("ratio cycle / plain hypercall");

	use_handler(sdei_entry, 0);
	MEASURE(signal_self_cycle(), psci_version());
	GUEST_ASSERT_EQ(handled, BATCHES * PER_BATCH);
	report("same, C handler behind a trampoline", a);
	ratio("ratio C-handler cycle / plain hypercall");

	/* Where the cycle's time goes: its two calls, without a delivery. */
	SDEI_CHECK(1, SDEI_FN_PE_MASK);
	MEASURE(signal_self_cycle(), psci_version());
	ratio("ratio held SIGNAL (caller masked) / plain hypercall");
	MEASURE(sdei(SDEI_FN_COMPLETE, 0), psci_version());
	ratio("ratio refused COMPLETE / plain hypercall");

	/* Still masked: only the target takes events now. */
	timestamp_entry = true;
	set_target_mode(TARGET_BUSY);
	measure_latency(a);
	report_n("SIGNAL -> handler entry, target busy", a, LATENCY_RUNS);
	set_target_mode(TARGET_WFI);
	measure_latency(a);
	report_n("SIGNAL -> handler entry, target in WFI", a, LATENCY_RUNS);
	set_target_mode(TARGET_DONE);
	GUEST_DONE();
}

static void target_vcpu(void)
{
	enum target_mode mode;

	target_mpidr = guest_mpidr();
	sdei_ready(SDEI_EV_SW, 0);
	__atomic_store_n(&target_ready, 1, __ATOMIC_RELEASE);
	while ((mode = __atomic_load_n(&target_mode, __ATOMIC_ACQUIRE)) != TARGET_DONE) {
		__atomic_store_n(&target_seen, mode, __ATOMIC_RELEASE);
		if (mode == TARGET_BUSY)
			cpu_relax();
		else
			asm volatile("wfi" ::: "memory");
	}
	__atomic_store_n(&target_seen, TARGET_DONE, __ATOMIC_RELEASE);
	GUEST_DONE();
}

static void guest_code(uint64_t index)
{
	if (index)
		target_vcpu();
	else
		main_vcpu();
}

int main(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	sdei_set_handler(vm, handler);
	for (int i = 0; i < 2; i++)
		vcpu_args_set(vcpus[i], 1, i);
	sdei_run_vcpus(vcpus, 2, 600);
	kvm_vm_free(vm);
	return 0;
}
