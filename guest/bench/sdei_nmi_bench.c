// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_nmi_bench - in a Linux guest, the latency from SDEI_EVENT_SIGNAL on
 * CPU 0 to the entry of event 0's handler on CPU 1, against an IPI round
 * trip (smp_call_function_single(), waiting) between the same two CPUs.
 *
 * CPU 1 runs a kernel thread with interrupts enabled, so that both reach
 * it. Either kind sends its next request only once CPU 1 is back in that
 * thread's loop: the SIGNAL's handler has completed, or the IPI's
 * function has returned and CPU 1 has left its interrupt. Otherwise a
 * SIGNAL sent while the last handler still runs would be held until its
 * COMPLETE, and counted in the latency. Batches of each kind alternate,
 * and each pair gives one ratio: the pairs see the same conditions, which
 * a noisy nested host changes from second to second. The module takes
 * event 0 over from the NMI backtrace client for its run (make bench's
 * guest powers off next), prints its figures and fails to load on
 * purpose, so that it can be loaded again.
 *
 * First, the price of pseudo-NMI: local_irq_save()/local_irq_restore()
 * pairs, which pseudo-NMI (irqchip.gicv3_pseudo_nmi=1) turns into
 * ICC_PMR_EL1 writes, against the same pairs on PSTATE.DAIF, in one run.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm_sdei.h>
#include <linux/atomic.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <linux/sort.h>

#include <asm/arch_timer.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/sysreg.h>

#define TARGET_CPU	1
#define SIGNAL_EVENT	0
#define MAX_BATCHES	64
#define IRQ_PAIRS	100000

static unsigned int batches = 21;
module_param(batches, uint, 0444);
MODULE_PARM_DESC(batches, "pairs of batches (at most 64)");

static unsigned int batch_size = 50;
module_param(batch_size, uint, 0444);
MODULE_PARM_DESC(batch_size, "round trips per batch");

static u64 handler_entry;
static atomic_t entered;
static u64 target_mpidr;
/* Iterations of CPU 1's loop, which runs only outside any handler. */
static atomic_long_t target_loops;

static u64 now(void)
{
	return __arch_counter_get_cntvct();
}

static int bench_handler(u32 event, struct pt_regs *regs, void *arg)
{
	WRITE_ONCE(handler_entry, now());
	atomic_set_release(&entered, 1);
	return 0;
}

static void read_mpidr(void *info)
{
	*(u64 *)info = read_cpuid_mpidr() & MPIDR_HWID_BITMASK;
}

static void nothing(void *info)
{
}

static int keep_busy(void *unused)
{
	while (!kthread_should_stop()) {
		atomic_long_inc(&target_loops);
		cpu_relax();
	}
	return 0;
}

/* Waits until CPU 1 has gone round its loop again. */
static void wait_target_back(void)
{
	long seen = atomic_long_read(&target_loops);

	while (atomic_long_read(&target_loops) == seen)
		cpu_relax();
}

/* Mean counter ticks from SIGNAL to handler entry, or 0 on failure. */
static u64 signal_batch(void)
{
	u64 sum = 0, start;
	unsigned int i;

	for (i = 0; i < batch_size; i++) {
		atomic_set(&entered, 0);
		start = now();
		if (sdei_event_signal(SIGNAL_EVENT, target_mpidr))
			return 0;
		while (!atomic_read_acquire(&entered))
			cpu_relax();
		sum += READ_ONCE(handler_entry) - start;
		wait_target_back();
	}
	return div_u64(sum, batch_size);
}

/* Mean counter ticks of an IPI round trip. */
static u64 ipi_batch(void)
{
	u64 sum = 0, start;
	unsigned int i;

	for (i = 0; i < batch_size; i++) {
		start = now();
		smp_call_function_single(TARGET_CPU, nothing, NULL, 1);
		sum += now() - start;
		wait_target_back();
	}
	return div_u64(sum, batch_size);
}

static u64 ticks_to_ns(u64 ticks)
{
	return div_u64(ticks * NSEC_PER_SEC, arch_timer_get_cntfrq());
}

/* Counter ticks for IRQ_PAIRS local_irq_save()/restore() pairs. */
static u64 irq_pairs_kernel(void)
{
	unsigned long flags;
	unsigned int i;
	u64 start = now();

	for (i = 0; i < IRQ_PAIRS; i++) {
		local_irq_save(flags);
		local_irq_restore(flags);
	}
	return now() - start;
}

/* The same pairs on PSTATE.DAIF, which is all they cost without pseudo-NMI. */
static u64 irq_pairs_daif(void)
{
	unsigned long daif;
	unsigned int i;
	u64 start = now();

	for (i = 0; i < IRQ_PAIRS; i++) {
		daif = read_sysreg(daif);
		write_sysreg(daif | PSR_I_BIT | PSR_F_BIT, daif);
		write_sysreg(daif, daif);
	}
	return now() - start;
}

static void measure_irq_pairs(void)
{
	u64 kernel, daif;

	/* Warm up, then measure both in turn. */
	irq_pairs_kernel();
	irq_pairs_daif();
	kernel = irq_pairs_kernel();
	daif = irq_pairs_daif();
	pr_info("local_irq_save/restore pair: %llu ps, on PSTATE.DAIF directly: %llu ps, ratio %llu.%03llu (pseudo-NMI %s)\n",
		div_u64(ticks_to_ns(kernel) * 1000, IRQ_PAIRS),
		div_u64(ticks_to_ns(daif) * 1000, IRQ_PAIRS),
		div64_u64(kernel, daif), div64_u64(kernel * 1000, daif) % 1000,
		system_uses_irq_prio_masking() ? "in use" : "not in use");
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int __init sdei_nmi_bench_init(void)
{
	static u64 signal_ns[MAX_BATCHES], ipi_ns[MAX_BATCHES], ratio_milli[MAX_BATCHES];
	struct task_struct *busy;
	unsigned int i, n = min(batches, MAX_BATCHES);
	int err;

	if (!n || !batch_size || num_online_cpus() <= TARGET_CPU)
		return -EINVAL;
	smp_call_function_single(TARGET_CPU, read_mpidr, &target_mpidr, 1);
	measure_irq_pairs();

	/* The NMI backtrace client holds event 0; borrow it. */
	while (sdei_event_unregister(SIGNAL_EVENT) == -EINPROGRESS)
		cpu_relax();
	err = sdei_event_register(SIGNAL_EVENT, bench_handler, NULL);
	if (!err)
		err = sdei_event_enable(SIGNAL_EVENT);
	if (err) {
		pr_err("cannot take event 0: %d\n", err);
		return err;
	}

	busy = kthread_run_on_cpu(keep_busy, NULL, TARGET_CPU, "sdei_bench_busy");
	if (IS_ERR(busy)) {
		err = PTR_ERR(busy);
		goto out;
	}
	/* Warm up both paths once. */
	if (!signal_batch()) {
		err = -EIO;
		goto stop;
	}
	ipi_batch();

	for (i = 0; i < n; i++) {
		u64 signal, ipi;

		/* Alternate which kind goes first, so that order cancels out. */
		if (i & 1) {
			ipi = ipi_batch();
			signal = signal_batch();
		} else {
			signal = signal_batch();
			ipi = ipi_batch();
		}
		if (!signal) {
			err = -EIO;
			goto stop;
		}
		signal_ns[i] = ticks_to_ns(signal);
		ipi_ns[i] = ticks_to_ns(ipi);
		ratio_milli[i] = div64_u64(signal * 1000, ipi);
	}
	sort(signal_ns, n, sizeof(u64), cmp_u64, NULL);
	sort(ipi_ns, n, sizeof(u64), cmp_u64, NULL);
	sort(ratio_milli, n, sizeof(u64), cmp_u64, NULL);
	pr_info("%u pairs of %u: SIGNAL to handler entry, median %llu ns\n",
		n, batch_size, signal_ns[n / 2]);
	pr_info("%u pairs of %u: IPI round trip, median %llu ns\n",
		n, batch_size, ipi_ns[n / 2]);
	pr_info("ratio SIGNAL-to-entry / IPI round trip: median %llu.%03llu, range %llu.%03llu to %llu.%03llu\n",
		ratio_milli[n / 2] / 1000, ratio_milli[n / 2] % 1000,
		ratio_milli[0] / 1000, ratio_milli[0] % 1000,
		ratio_milli[n - 1] / 1000, ratio_milli[n - 1] % 1000);
	err = -EAGAIN;
stop:
	kthread_stop(busy);
out:
	sdei_event_unregister(SIGNAL_EVENT);
	return err;
}
module_init(sdei_nmi_bench_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SDEI event 0 latency against an IPI, in a guest");
