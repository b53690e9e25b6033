// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_nmi_bench - in a Linux guest, the latency from SDEI_EVENT_SIGNAL on
 * CPU 0 to the entry of event 0's handler on CPU 1, against an IPI round
 * trip (smp_call_function_single() of an empty function, until CPU 0 sees
 * that it ran) between the same two CPUs.
 *
 * CPU 1 runs a kernel thread with interrupts enabled, so that both reach
 * it. Either kind sends its next request only once CPU 1 is back in that
 * thread's loop: the SIGNAL's handler has completed, or the IPI's
 * function has returned and CPU 1 has left its interrupt. Otherwise a
 * SIGNAL sent while the last handler still runs would be held until its
 * COMPLETE, and counted in the latency. CPU 0 waits for every kind the same
 * way, polling a stamp CPU 1 writes. Batches of each kind alternate, and
 * each pair gives one ratio: the pairs see the same conditions, which a
 * noisy nested host changes from second to second. The module takes
 * event 0 over from the NMI backtrace client for its run (make bench's
 * guest powers off next), prints its figures and fails to load on
 * purpose, so that it can be loaded again.
 *
 * First, the price of pseudo-NMI: local_irq_save()/local_irq_restore()
 * pairs, which pseudo-NMI (irqchip.gicv3_pseudo_nmi=1) turns into
 * ICC_PMR_EL1 writes, against the same pairs on PSTATE.DAIF, in one run.
 *
 * Then the same pairs split in two, to show which side the time is on:
 * SIGNAL to the entry of a bare entry point registered with the raw SDEI
 * calls (it stores the counter and completes, skipping Linux's SDEI entry
 * code), against an IPI to the entry of its function, not waiting.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
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

/* The counter as CPU 1 enters each kind of handler. */
static u64 handler_entry, bare_entry, ipi_entry;
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
	return 0;
}

/*
 * SDEI enters it with the event in x0 and the registered argument, here
 * &bare_entry, in x1. It uses only x0-x2, which COMPLETE restores.
 */
void sdei_bench_bare_entry(void);
asm(".pushsection .text, \"ax\"\n"
    ".globl sdei_bench_bare_entry\n"
    ".balign 4\n"
    "sdei_bench_bare_entry:\n"
    "	isb\n"
    "	mrs	x2, cntvct_el0\n"
    "	str	x2, [x1]\n"
    "	movz	x0, #0x0025\n"			/* SDEI_EVENT_COMPLETE */
    "	movk	x0, #0xc400, lsl #16\n"
    "	hvc	#0\n"
    "	brk	#0\n"
    ".popsection\n");

static unsigned long raw_sdei(u32 fn, unsigned long a1, unsigned long a2,
			      unsigned long a3)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(fn, a1, a2, a3, 0, 0, &res);
	return res.a0;
}

/*
 * Event 0 is private: REGISTER and ENABLE act on the calling CPU, so CPU 1
 * makes them for itself.
 */
static void register_bare_entry(void *result)
{
	long ret = raw_sdei(SDEI_1_0_FN_SDEI_EVENT_REGISTER, SIGNAL_EVENT,
			    (unsigned long)sdei_bench_bare_entry, (unsigned long)&bare_entry);

	if (!ret)
		ret = raw_sdei(SDEI_1_0_FN_SDEI_EVENT_ENABLE, SIGNAL_EVENT, 0, 0);
	*(long *)result = ret;
}

static void unregister_bare_entry(void *unused)
{
	raw_sdei(SDEI_1_0_FN_SDEI_EVENT_UNREGISTER, SIGNAL_EVENT, 0, 0);
}

static void stamp_ipi_entry(void *info)
{
	WRITE_ONCE(ipi_entry, now());
}

static void read_mpidr(void *info)
{
	*(u64 *)info = read_cpuid_mpidr() & MPIDR_HWID_BITMASK;
}

static int keep_busy(void *unused)
{
	while (!kthread_should_stop()) {
		atomic_long_inc(&target_loops);
		cpu_relax();
	}
	return 0;
}

/*
 * Polls until @done(@arg) with cpu_relax(), reading the counter only now
 * and then; false, and a message, if a second passes first.
 */
static bool wait_for(bool (*done)(const void *arg), const void *arg, const char *what)
{
	u64 start = now();
	unsigned int spins = 0;

	while (!done(arg)) {
		cpu_relax();
		if (++spins % 1024)
			continue;
		if (now() - start > arch_timer_get_cntfrq()) {
			pr_err("%s: not within a second\n", what);
			return false;
		}
	}
	return true;
}

static bool target_moved(const void *seen)
{
	return atomic_long_read(&target_loops) != *(const long *)seen;
}

/* Waits until CPU 1 has gone round its loop again. */
static bool wait_target_back(void)
{
	long seen = atomic_long_read(&target_loops);

	return wait_for(target_moved, &seen, "CPU 1 back in its loop");
}

struct stamp_wait {
	const u64 *stamp;
	u64 since;
};

static bool stamped(const void *arg)
{
	const struct stamp_wait *w = arg;

	return READ_ONCE(*w->stamp) >= w->since;
}

/*
 * Mean counter ticks of a batch, or 0 on failure: from each request (a
 * SIGNAL, or an IPI) until CPU 1 writes *@stamp on entry, or, for a
 * @round_trip, until CPU 0 has seen it.
 */
static u64 batch(bool sdei_event, u64 *stamp, bool round_trip)
{
	struct stamp_wait w = { .stamp = stamp };
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < batch_size; i++) {
		w.since = now();
		if (sdei_event) {
			if (sdei_event_signal(SIGNAL_EVENT, target_mpidr))
				return 0;
		} else {
			smp_call_function_single(TARGET_CPU, stamp_ipi_entry, NULL, 0);
		}
		if (!wait_for(stamped, &w, sdei_event ? "handler entry" : "IPI function entry"))
			return 0;
		sum += (round_trip ? now() : READ_ONCE(*stamp)) - w.since;
		if (!wait_target_back())
			return 0;
	}
	return div_u64(sum, batch_size);
}

static u64 signal_batch(void)
{
	return batch(true, &handler_entry, false);
}

static u64 bare_signal_batch(void)
{
	return batch(true, &bare_entry, false);
}

static u64 ipi_round_trip_batch(void)
{
	return batch(false, &ipi_entry, true);
}

static u64 ipi_one_way_batch(void)
{
	return batch(false, &ipi_entry, false);
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

/*
 * Runs n pairs of a batch of @a and a batch of @b, alternating which goes
 * first so that order cancels out, and prints their medians and the median
 * of the per-pair ratios a / b. Returns 0, or -EIO if a batch failed.
 */
static int measure_pairs(unsigned int n, u64 (*a)(void), const char *a_what,
			 u64 (*b)(void), const char *b_what, const char *ratio_what)
{
	static u64 a_ns[MAX_BATCHES], b_ns[MAX_BATCHES], ratio_milli[MAX_BATCHES];
	unsigned int i;

	/* Warm up both paths once. */
	if (!a() || !b())
		return -EIO;
	for (i = 0; i < n; i++) {
		u64 ta, tb;

		if (i & 1) {
			tb = b();
			ta = a();
		} else {
			ta = a();
			tb = b();
		}
		if (!ta || !tb)
			return -EIO;
		a_ns[i] = ticks_to_ns(ta);
		b_ns[i] = ticks_to_ns(tb);
		ratio_milli[i] = div64_u64(ta * 1000, tb);
	}
	sort(a_ns, n, sizeof(u64), cmp_u64, NULL);
	sort(b_ns, n, sizeof(u64), cmp_u64, NULL);
	sort(ratio_milli, n, sizeof(u64), cmp_u64, NULL);
	pr_info("%u pairs of %u: %s, median %llu ns\n", n, batch_size, a_what, a_ns[n / 2]);
	pr_info("%u pairs of %u: %s, median %llu ns\n", n, batch_size, b_what, b_ns[n / 2]);
	pr_info("ratio %s: median %llu.%03llu, range %llu.%03llu to %llu.%03llu\n", ratio_what,
		ratio_milli[n / 2] / 1000, ratio_milli[n / 2] % 1000,
		ratio_milli[0] / 1000, ratio_milli[0] % 1000,
		ratio_milli[n - 1] / 1000, ratio_milli[n - 1] % 1000);
	return 0;
}

static int __init sdei_nmi_bench_init(void)
{
	struct task_struct *busy;
	unsigned int n = min(batches, MAX_BATCHES);
	long sdei_ret;
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
		sdei_event_unregister(SIGNAL_EVENT);
		return PTR_ERR(busy);
	}
	err = measure_pairs(n, signal_batch, "SIGNAL to handler entry",
			    ipi_round_trip_batch, "IPI round trip",
			    "SIGNAL-to-entry / IPI round trip");
	while (sdei_event_unregister(SIGNAL_EVENT) == -EINPROGRESS)
		cpu_relax();
	if (err)
		goto stop;

	/* The split: a bare entry point, and the IPI one way. */
	smp_call_function_single(TARGET_CPU, register_bare_entry, &sdei_ret, 1);
	if (sdei_ret) {
		pr_err("cannot register the bare entry point: SDEI error %ld\n", sdei_ret);
		err = -EIO;
		goto stop;
	}
	err = measure_pairs(n, bare_signal_batch, "SIGNAL to a bare entry point",
			    ipi_one_way_batch, "IPI to its function's entry",
			    "SIGNAL-to-bare-entry / IPI-to-function-entry");
	smp_call_function_single(TARGET_CPU, unregister_bare_entry, NULL, 1);
	/* Fail the load on purpose, so that make bench can load it again. */
	if (!err)
		err = -EAGAIN;
stop:
	kthread_stop(busy);
	return err;
}
module_init(sdei_nmi_bench_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SDEI event 0 latency against an IPI, in a guest");
