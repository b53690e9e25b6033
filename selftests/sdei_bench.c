// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_bench - what SDEI costs a guest, on its virtual counter.
 *
 * Not a test: `make bench` runs it and prints a table. In one VM:
 * - SDEI_VERSION against PSCI_VERSION, which KVM answers in C on the same
 *   exit path: the round-trip ratio;
 * - SIGNAL to itself, handler entry, COMPLETE and back, against one plain
 *   hypercall round trip (the floor is about 2: two exits);
 * - SIGNAL to another vCPU until its handler runs, with the target busy
 *   and with it waiting in WFI.
 * Medians over batches, with the 10th and 90th percentiles. The two sides
 * of each ratio are measured in alternating batches, so drift hits both.
 */
#include <linux/psci.h>

#include "sdei.h"
#include "test_util.h"

#define BATCHES		201
#define PER_BATCH	16
#define LATENCY_RUNS	201

SDEI_DEFINE_HANDLER_ENTRY();

static uint64_t handled, entry_time, target_mpidr, target_ready, target_mode;
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

static void sort(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static uint64_t a[BATCHES], b[BATCHES];

/* Ticks per operation of each batch, for @op_a and @op_b alternately. */
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
	}								\
	sort(a, BATCHES);						\
	sort(b, BATCHES)

static void report(const char *what, uint64_t *v)
{
	/* Millitick resolution: the values are ticks * 1000. */
	GUEST_PRINTF("| %-40s | %9lu | %9lu | %9lu |\n", what,
		     v[BATCHES / 2] / 1000, v[BATCHES / 10] / 1000,
		     v[BATCHES * 9 / 10] / 1000);
}

static void ratio(const char *what, uint64_t *num, uint64_t *den)
{
	uint64_t r = num[BATCHES / 2] * 1000 / den[BATCHES / 2];

	GUEST_PRINTF("| %-40s | %5lu.%03lu |           |           |\n", what,
		     r / 1000, r % 1000);
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

static void measure_latency(int mode, uint64_t *v)
{
	for (int i = 0; i < LATENCY_RUNS; i++) {
		uint64_t done = __atomic_load_n(&handled, __ATOMIC_ACQUIRE), t0;

		/* Let the target settle (into WFI, for that mode). */
		for (uint64_t t = now(); now() - t < 2000;)
			cpu_relax();
		t0 = now();
		sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
		while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) == done)
			cpu_relax();
		v[i] = (__atomic_load_n(&entry_time, __ATOMIC_ACQUIRE) - t0) * 1000;
	}
	sort(v, LATENCY_RUNS);
}

static void main_vcpu(void)
{
	sdei_ready(SDEI_EV_SW, 0);
	GUEST_PRINTF("virtual counter: %lu Hz\n", read_sysreg(cntfrq_el0));
	GUEST_PRINTF("| %-40s | %9s | %9s | %9s |\n", "counter ticks per operation",
		     "median", "p10", "p90");
	GUEST_PRINTF("|------------------------------------------|-----------|-----------|-----------|\n");

	MEASURE(sdei(SDEI_FN_VERSION), psci_version());
	report("SDEI_VERSION round trip", a);
	report("PSCI_VERSION round trip", b);
	ratio("ratio SDEI_VERSION / PSCI_VERSION", a, b);

	MEASURE(signal_self_cycle(), psci_version());
	report("SIGNAL(self) -> handler -> COMPLETE", a);
	ratio("ratio cycle / plain hypercall", a, b);

	/* Where the cycle's time goes: its two calls, without a delivery. */
	CHECK(1, SDEI_FN_PE_MASK);
	MEASURE(signal_self_cycle(), psci_version());
	ratio("ratio refused SIGNAL / plain hypercall", a, b);
	MEASURE(sdei(SDEI_FN_COMPLETE, 0), psci_version());
	ratio("ratio refused COMPLETE / plain hypercall", a, b);
	CHECK(0, SDEI_FN_PE_UNMASK);

	CHECK(1, SDEI_FN_PE_MASK);	/* only the target takes events now */
	timestamp_entry = true;
	while (!__atomic_load_n(&target_ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	measure_latency(0, a);
	report("SIGNAL -> handler entry, target busy", a);
	__atomic_store_n(&target_mode, 1, __ATOMIC_RELEASE);
	measure_latency(1, a);
	report("SIGNAL -> handler entry, target in WFI", a);
	__atomic_store_n(&target_mode, 2, __ATOMIC_RELEASE);
	/* The target sleeps in WFI until an event wakes it to see that. */
	sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, target_mpidr);
	GUEST_DONE();
}

static void target_vcpu(void)
{
	target_mpidr = guest_mpidr();
	sdei_ready(SDEI_EV_SW, 0);
	__atomic_store_n(&target_ready, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&target_mode, __ATOMIC_ACQUIRE) == 0)
		cpu_relax();
	while (__atomic_load_n(&target_mode, __ATOMIC_ACQUIRE) == 1)
		asm volatile("wfi" ::: "memory");
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
	sdei_handler = handler;
	sync_global_to_guest(vm, sdei_handler);
	for (int i = 0; i < 2; i++)
		vcpu_args_set(vcpus[i], 1, i);
	sdei_run_vcpus(vcpus, 2, 600);
	kvm_vm_free(vm);
	return 0;
}
