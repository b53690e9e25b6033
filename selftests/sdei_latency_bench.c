// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_latency_bench - an SDEI event against the GIC's interrupt doing the
 * same job: how long each takes to reach a busy vCPU, and how many exits
 * and host IPIs (kicks) each costs.
 *
 * Not a test: `make bench` runs it. vCPU 1 spins with interrupts unmasked
 * and counts its loops; every request is sent only once vCPU 1 is back in
 * that loop, so no request waits behind the last one's handler.
 * - From vCPU 0: SDEI_EVENT_SIGNAL to the entry of vCPU 1's event handler,
 *   against an SGI to the entry of its IRQ handler, on the virtual counter.
 * - From the host: KVM_NMI against a PPI raised with KVM_IRQ_LINE, from the
 *   ioctl until the host sees the handler's mark in guest memory.
 * The two kinds alternate and each pair gives one ratio. Then, for each
 * kind, a run of TRACED requests with KVM's and the IPI tracepoints on
 * gives the exits of each vCPU, by kind, and the host's IPIs per request.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sdei.h"
#include "bench.h"
#include "gic.h"
#include "gic_v3.h"
#include "test_util.h"
#include "trace_tally.h"
#include "vgic.h"

#define PAIRS		201
#define TRACED		200
#define SGI_INTID	1
#define PPI_INTID	20
#define TARGET		1

enum stage {
	STAGE_REPORT_PAIRS = 1,
	STAGE_TRACE_SIGNAL,
	STAGE_TRACE_SGI,
	STAGE_TRACE_STOP,
	STAGE_HOST,
};

/* Guest memory the host reads and writes through addr_gva2hva(). */
static u64 target_loops, target_done;
static u64 sdei_mark, sdei_entries, irq_mark, irq_entries, ppi_lowered;

static inline u64 now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static void sdei_handler_fn(struct sdei_entry_regs *regs)
{
	u64 t = now();

	__atomic_store_n(&sdei_mark, t, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sdei_entries, 1, __ATOMIC_RELEASE);
}

static void irq_handler(struct ex_regs *regs)
{
	u64 t = now();
	u32 intid = gic_get_and_ack_irq();
	u64 seq;

	/* Marked after the acknowledge: only then may the host lower a PPI. */
	__atomic_store_n(&irq_mark, t, __ATOMIC_RELEASE);
	seq = __atomic_add_fetch(&irq_entries, 1, __ATOMIC_ACQ_REL);
	/* A level PPI still high at EOI would fire again at once. */
	if (intid == PPI_INTID)
		GUEST_WAIT_FOR(__atomic_load_n(&ppi_lowered, __ATOMIC_ACQUIRE) == seq,
			       "the host lowering the PPI");
	GUEST_ASSERT(intid == SGI_INTID || intid == PPI_INTID);
	gic_set_eoi(intid);
}

static void wait_target_back(void)
{
	u64 seen = __atomic_load_n(&target_loops, __ATOMIC_ACQUIRE);

	GUEST_WAIT_FOR(__atomic_load_n(&target_loops, __ATOMIC_ACQUIRE) != seen,
		       "vCPU 1 back in its loop");
}

static void send_sgi(void)
{
	/* Target list bit 1: Aff0 1, vCPU 1 (Aff1-3 are 0). */
	write_sysreg_s(((u64)SGI_INTID << 24) | BIT(TARGET), SYS_ICC_SGI1R_EL1);
	isb();
}

/* Counter ticks from a request until vCPU 1's handler marks its entry. */
static u64 one_request(bool sdei_event)
{
	u64 *mark = sdei_event ? &sdei_mark : &irq_mark;
	u64 t0, t;

	wait_target_back();
	t0 = now();
	if (sdei_event)
		GUEST_ASSERT_EQ(sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, TARGET), 0);
	else
		send_sgi();
	GUEST_WAIT_FOR((t = __atomic_load_n(mark, __ATOMIC_ACQUIRE)) >= t0, "handler entry");
	return t - t0;
}

/* The guest's figures, which the host prints. */
static u64 sig[PAIRS], sgi[PAIRS], ratio[PAIRS], counter_hz;

static void main_vcpu(void)
{
	gic_init(GIC_V3, 2);
	GUEST_WAIT_FOR(__atomic_load_n(&target_loops, __ATOMIC_ACQUIRE), "vCPU 1 running");
	measure_pairs(one_request, PAIRS, sig, sgi, ratio);
	counter_hz = read_sysreg(cntfrq_el0);
	GUEST_SYNC(STAGE_REPORT_PAIRS);

	GUEST_SYNC(STAGE_TRACE_SIGNAL);
	for (int i = 0; i < TRACED; i++)
		one_request(true);
	GUEST_SYNC(STAGE_TRACE_STOP);
	GUEST_SYNC(STAGE_TRACE_SGI);
	for (int i = 0; i < TRACED; i++)
		one_request(false);
	GUEST_SYNC(STAGE_TRACE_STOP);
	wait_target_back();
	GUEST_SYNC(STAGE_HOST);
	__atomic_store_n(&target_done, 1, __ATOMIC_RELEASE);
	GUEST_DONE();
}

static void target_vcpu(void)
{
	GUEST_ASSERT_EQ(guest_mpidr(), TARGET);
	gic_init(GIC_V3, 2);
	gic_irq_enable(SGI_INTID);
	gic_irq_enable(PPI_INTID);
	sdei_ready(SDEI_EV_SW, 0);
	local_irq_enable();
	while (!__atomic_load_n(&target_done, __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(&target_loops, 1, __ATOMIC_RELEASE);
		cpu_relax();
	}
	GUEST_DONE();
}

static void guest_code(u64 index)
{
	if (index)
		target_vcpu();
	else
		main_vcpu();
}

/* The host's side. */
static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[2];
static pid_t vcpu_tid[2];
static u64 *host_loops, *host_sdei_entries, *host_irq_entries, *host_ppi_lowered;

static void *guest_ptr(void *gva)
{
	return addr_gva2hva(vm, (gva_t)gva);
}

static u64 host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Waits, for at most 10 s, until *@p is no longer @old. */
static void host_wait_change(u64 *p, u64 old, const char *what)
{
	u64 deadline = host_now_ns() + 10000000000ull;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) == old)
		TEST_ASSERT(host_now_ns() < deadline, "%s: nothing after 10 s", what);
}

static void host_wait_target_back(void)
{
	host_wait_change(host_loops, __atomic_load_n(host_loops, __ATOMIC_ACQUIRE),
			 "vCPU 1's loop");
}

static void irq_line(int level)
{
	u32 irq = (KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (TARGET << KVM_ARM_IRQ_VCPU_SHIFT) | PPI_INTID;

	kvm_irq_line(vm, irq, level);
}

/* Nanoseconds from the host's request until it sees the handler's entry. */
static u64 host_request(bool nmi)
{
	u64 *entries = nmi ? host_sdei_entries : host_irq_entries;
	u64 before, t0, t;

	host_wait_target_back();
	before = __atomic_load_n(entries, __ATOMIC_ACQUIRE);
	t0 = host_now_ns();
	if (nmi)
		vcpu_ioctl(vcpus[TARGET], KVM_NMI, NULL);
	else
		irq_line(1);
	host_wait_change(entries, before, nmi ? "KVM_NMI" : "the PPI");
	t = host_now_ns() - t0;
	if (!nmi) {
		irq_line(0);
		__atomic_store_n(host_ppi_lowered, before + 1, __ATOMIC_RELEASE);
	}
	return t;
}

static const char *const trace_events[] = {
	"kvm/kvm_exit", "kvm/kvm_vcpu_wakeup", "kvm/kvm_sdei_deliver", "ipi/ipi_raise", NULL,
};

static u64 host_a[PAIRS], host_b[PAIRS], host_r[PAIRS];

/* Median, 10th and 90th percentiles of sorted figures, and of their ratios. */
static void print_pairs(const char *title, const char *a_what, const u64 *a,
			const char *b_what, const u64 *b, const char *ratio_what, const u64 *r)
{
	const int at[] = { PAIRS / 2, PAIRS / 10, PAIRS * 9 / 10 };

	printf("| %-44s | %9s | %9s | %9s |\n", title, "median", "p10", "p90");
	printf("| %-44s | %9lu | %9lu | %9lu |\n", a_what, a[at[0]], a[at[1]], a[at[2]]);
	printf("| %-44s | %9lu | %9lu | %9lu |\n", b_what, b[at[0]], b[at[1]], b[at[2]]);
	printf("| %-44s |", ratio_what);
	for (int i = 0; i < 3; i++)
		printf(" %5lu.%03lu |", r[at[i]] / 1000, r[at[i]] % 1000);
	printf("\n");
}

static void host_phase(void)
{
	measure_pairs(host_request, PAIRS, host_a, host_b, host_r);
	print_pairs("from the host, ns until the host sees entry",
		    "KVM_NMI to event handler entry", host_a,
		    "KVM_IRQ_LINE PPI to IRQ handler entry", host_b, "ratio KVM_NMI / PPI", host_r);

	trace_start(trace_events);
	for (int i = 0; i < TRACED; i++)
		host_request(true);
	trace_report(trace_events, "KVM_NMI to busy vCPU 1", TRACED, vcpu_tid, 2);
	trace_start(trace_events);
	for (int i = 0; i < TRACED; i++)
		host_request(false);
	trace_report(trace_events, "KVM_IRQ_LINE PPI (raise and lower) to busy vCPU 1",
		     TRACED, vcpu_tid, 2);
}

static void on_sync(struct kvm_vcpu **vcpu, u64 stage)
{
	static const char *traced;

	vcpu_tid[0] = syscall(SYS_gettid);
	switch (stage) {
	case STAGE_REPORT_PAIRS:
		printf("virtual counter: %lu Hz; %d pairs, vCPU 1 busy\n",
		       *(u64 *)guest_ptr(&counter_hz), PAIRS);
		print_pairs("from vCPU 0, counter ticks",
			    "SIGNAL to event handler entry", guest_ptr(sig),
			    "SGI to IRQ handler entry", guest_ptr(sgi),
			    "ratio SIGNAL / SGI", guest_ptr(ratio));
		break;
	case STAGE_TRACE_SIGNAL:
	case STAGE_TRACE_SGI:
		traced = stage == STAGE_TRACE_SIGNAL ? "SIGNAL from vCPU 0 to busy vCPU 1" :
						       "SGI from vCPU 0 to busy vCPU 1";
		trace_start(trace_events);
		break;
	case STAGE_TRACE_STOP:
		trace_report(trace_events, traced, TRACED, vcpu_tid, 2);
		break;
	case STAGE_HOST:
		host_phase();
		break;
	default:
		TEST_FAIL("unknown stage %lu", stage);
	}
}

static void *main_thread(void *arg)
{
	sdei_run_syncs(&vcpus[0], on_sync);
	return NULL;
}

static void *target_thread(void *arg)
{
	vcpu_tid[TARGET] = syscall(SYS_gettid);
	sdei_run_to_done(vcpus[TARGET]);
	return NULL;
}

int main(void)
{
	pthread_t threads[2];

	sdei_require();
	trace_mount();
	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	vm_init_descriptor_tables(vm);
	for (int i = 0; i < 2; i++) {
		vcpu_args_set(vcpus[i], 1, i);
		vcpu_init_descriptor_tables(vcpus[i]);
	}
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, irq_handler);
	sdei_set_handler(vm, sdei_handler_fn);
	vgic_v3_setup(vm, 2, 64);
	host_loops = guest_ptr(&target_loops);
	host_sdei_entries = guest_ptr(&sdei_entries);
	host_irq_entries = guest_ptr(&irq_entries);
	host_ppi_lowered = guest_ptr(&ppi_lowered);

	pthread_create(&threads[TARGET], NULL, target_thread, NULL);
	pthread_create(&threads[0], NULL, main_thread, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	kvm_vm_free(vm);
	return 0;
}
