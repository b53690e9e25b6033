// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_apf_bench - what asynchronous page faults give one vCPU whose
 * memory arrives late: userfaultfd with a fixed delay per page.
 *
 * Not a test: `make bench` runs it. The guest runs two tasks on one vCPU,
 * A and B, under a scheduler of a few lines. A reads nr_pages pages that
 * are not there yet; the host's userfaultfd reader sleeps a fixed delay and
 * then copies each page in. B does fixed units of work whenever A is
 * blocked. With async PF (enabled with EL1 faults opted in, since the
 * tasks run at EL1), a fault on A's page raises NOT_PRESENT: the handler
 * records the token and completes with COMPLETE_AND_RESUME, whose IRQ
 * vector moves A's interrupted read to a "blocked" return. B runs until
 * READY with A's token makes A runnable again. Without async PF the vCPU
 * waits for each page, and B runs only once A is done.
 *
 * Figures, per run and as medians over ROUNDS alternating pairs:
 * - A's time to read its pages, with async PF against without;
 * - B's rate while A reads, against B's rate alone just before and after.
 * Then one more run each way, traced: the exits, deliveries and context
 * switches each page costs.
 */
#include <linux/userfaultfd.h>

#include <sys/syscall.h>

#include "sdei.h"
#include "bench.h"
#include "test_util.h"
#include "trace_tally.h"
#include "userfaultfd_util.h"

#define APF_FN			0xc6000042	/* SMC64 vendor hypervisor function 66 */
#define APF_ENABLE		0
#define APF_TAKE		1
#define APF_ENABLED		BIT(0)
#define APF_EL1			BIT(1)
#define APF_NOT_PRESENT		1
#define APF_READY		2
#define APF_TOKEN_ALL		0xffffffffULL

#define TEST_GPA		0xc0000000ULL
#define TEST_GVA		0xc0000000ULL
#define TEST_SLOT		10
#define ROUNDS			5
/* The defaults; the arguments may give others: delay in us, then pages. */
#define DELAY_US		10000
#define NR_PAGES		32
/* B's rate alone is measured over this many counter ticks. */
#define ALONE_TICKS_SHIFT	2	/* 1/4 s */
#define B_UNIT			200

enum stage {
	STAGE_TRACE = 1,
	STAGE_REPORT_ASYNC,
	STAGE_REPORT_SYNC,
};

/*
 * apf_read(addr) reads one word at @addr and returns 0, or returns 1 when
 * an async PF notification moved it off the read (apf_read_blocked).
 */
u64 apf_read(u64 addr);
extern char apf_read_insn[], apf_read_blocked[];
asm(".text\n"
    ".globl apf_read, apf_read_insn, apf_read_blocked\n"
    ".balign 4\n"
    "apf_read:\n"
    "apf_read_insn:\n"
    "	ldr	x1, [x0]\n"
    "	mov	x0, #0\n"
    "	ret\n"
    "apf_read_blocked:\n"
    "	mov	x0, #1\n"
    "	ret\n");

static u64 page_size, nr_pages;
/* The token A waits for, 0 when A can run. */
static u64 a_waits_for;
static u64 not_present, ready, unexpected;

static void apf_call(u64 op, u64 arg, struct arm_smccc_res *res)
{
	smccc_hvc(APF_FN, op, arg, 0, 0, 0, 0, 0, res);
	GUEST_ASSERT_EQ(res->a0, 0);
}

static void handler(struct sdei_entry_regs *regs)
{
	struct arm_smccc_res res;

	sdei_finish_fn = SDEI_FN_COMPLETE;
	apf_call(APF_TAKE, 0, &res);
	switch (res.a1) {
	case APF_NOT_PRESENT:
		/* x2 on entry: the interrupted PC, which must be A's read. */
		if (regs->x[2] != (u64)apf_read_insn) {
			unexpected++;
			break;
		}
		WRITE_ONCE(a_waits_for, res.a2);
		not_present++;
		sdei_finish_fn = SDEI_FN_COMPLETE_AND_RESUME;
		sdei_finish_arg = read_sysreg(vbar_el1) + 0x280;
		break;
	case APF_READY:
		if (res.a2 == APF_TOKEN_ALL || res.a2 == READ_ONCE(a_waits_for))
			WRITE_ONCE(a_waits_for, 0);
		if (res.a2 != APF_TOKEN_ALL)
			ready++;
		break;
	default:
		unexpected++;
	}
}

/* Where COMPLETE_AND_RESUME lands: A leaves its read, blocked. */
static void resume_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->pc, (u64)apf_read_insn);
	regs->pc = (u64)apf_read_blocked;
}

static inline u64 now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static u64 b_sink;

/* One unit of B's work, out of line so that both of B's loops run it alike. */
static noinline void b_unit(void)
{
	for (int i = 0; i < B_UNIT; i++)
		WRITE_ONCE(b_sink, READ_ONCE(b_sink) * 3 + 1);
}

/*
 * B's units per 2^20 counter ticks, running alone, in the same loop as
 * beside A: it reads the counter every 1024 units only, as B's loop beside
 * A does, since under TCG a read costs more than a unit.
 */
static u64 b_rate_alone(void)
{
	u64 ticks = read_sysreg(cntfrq_el0) >> ALONE_TICKS_SHIFT;
	u64 units = 0, t0 = now(), t = t0;

	/* As if A waited for a page that never comes. */
	WRITE_ONCE(a_waits_for, APF_TOKEN_ALL);
	while (READ_ONCE(a_waits_for)) {
		b_unit();
		if (++units % 1024)
			continue;
		t = now();
		if (t - t0 >= ticks)
			break;
	}
	return (units << 20) / (t - t0);
}

struct run {
	u64 a_ticks;
	u64 b_rate;	/* units per 2^20 ticks while A ran */
};

/* A reads pages [first, first + nr_pages); B runs whenever A cannot. */
static struct run run_tasks(u64 first, bool async)
{
	struct arm_smccc_res res;
	u64 page = first, units = 0, t0, t;

	apf_call(APF_ENABLE, async ? APF_ENABLED | APF_EL1 : 0, &res);
	WRITE_ONCE(a_waits_for, 0);
	t0 = now();
	while (page < first + nr_pages) {
		if (!READ_ONCE(a_waits_for)) {
			if (!apf_read(TEST_GVA + page * page_size))
				page++;
			continue;
		}
		b_unit();
		/* A READY that never comes fails the run instead of hanging it. */
		if (!(++units % 1024))
			__GUEST_ASSERT(now() - t0 < 60 * read_sysreg(cntfrq_el0),
				       "A's pages not in within 60 s");
	}
	t = now() - t0;
	return (struct run){ .a_ticks = t, .b_rate = (units << 20) / t };
}

static void guest_code(void)
{
	u64 a_async[ROUNDS], a_sync[ROUNDS], a_ratio[ROUNDS];
	u64 b_async[ROUNDS], b_sync[ROUNDS], alone[ROUNDS];
	u64 per_ms = read_sysreg(cntfrq_el0) / 1000;

	sdei_ready(SDEI_EV_ASYNC_PF, 0);
	for (int i = 0; i < ROUNDS; i++) {
		struct run with, without;
		u64 base = 2 * i * nr_pages;

		alone[i] = b_rate_alone();
		if (i & 1) {
			without = run_tasks(base + nr_pages, false);
			with = run_tasks(base, true);
		} else {
			with = run_tasks(base, true);
			without = run_tasks(base + nr_pages, false);
		}
		alone[i] = (alone[i] + b_rate_alone()) / 2;
		a_async[i] = with.a_ticks;
		a_sync[i] = without.a_ticks;
		a_ratio[i] = with.a_ticks * 1000 / without.a_ticks;
		/* B's share of its rate alone, in tenths of a percent. */
		b_async[i] = with.b_rate * 1000 / alone[i];
		b_sync[i] = without.b_rate * 1000 / alone[i];
		GUEST_PRINTF("round %d: A %lu ms with async PF, %lu ms without; B kept %lu.%lu%% with, %lu.%lu%% without\n",
			     i, with.a_ticks / per_ms, without.a_ticks / per_ms,
			     b_async[i] / 10, b_async[i] % 10, b_sync[i] / 10, b_sync[i] % 10);
	}
	GUEST_SYNC(STAGE_TRACE);
	run_tasks(2 * ROUNDS * nr_pages, true);
	GUEST_SYNC(STAGE_REPORT_ASYNC);
	GUEST_SYNC(STAGE_TRACE);
	run_tasks((2 * ROUNDS + 1) * nr_pages, false);
	GUEST_SYNC(STAGE_REPORT_SYNC);
	GUEST_ASSERT_EQ(unexpected, 0);
	/* Every page faulted once with async PF on, and each came back. */
	GUEST_ASSERT_EQ(not_present, (ROUNDS + 1) * nr_pages);
	GUEST_ASSERT_EQ(ready, (ROUNDS + 1) * nr_pages);
	sort_u64(a_async, ROUNDS);
	sort_u64(a_sync, ROUNDS);
	sort_u64(a_ratio, ROUNDS);
	sort_u64(b_async, ROUNDS);
	sort_u64(b_sync, ROUNDS);
	GUEST_PRINTF("| %-50s | %11s | %11s |\n", "medians of the rounds", "async PF", "without");
	GUEST_PRINTF("| %-50s | %8lu ms | %8lu ms |\n", "A: time to read its pages",
		     a_async[ROUNDS / 2] / per_ms, a_sync[ROUNDS / 2] / per_ms);
	GUEST_PRINTF("| %-50s | %9lu.%lu%% | %9lu.%lu%% |\n", "B: rate while A reads, of its rate alone",
		     b_async[ROUNDS / 2] / 10, b_async[ROUNDS / 2] % 10,
		     b_sync[ROUNDS / 2] / 10, b_sync[ROUNDS / 2] % 10);
	GUEST_PRINTF("A with async PF / without: %lu.%03lu, median of %d pairs (%lu.%03lu to %lu.%03lu)\n",
		     a_ratio[ROUNDS / 2] / 1000, a_ratio[ROUNDS / 2] % 1000, ROUNDS,
		     a_ratio[0] / 1000, a_ratio[0] % 1000,
		     a_ratio[ROUNDS - 1] / 1000, a_ratio[ROUNDS - 1] % 1000);
	GUEST_DONE();
}

static struct kvm_vm *vm;

static const char *const trace_events[] = {
	"kvm/kvm_exit", "kvm/kvm_sdei_deliver", "kvm/kvm_async_pf_completed",
	"ipi/ipi_raise", "sched/sched_switch", NULL,
};

static void on_sync(struct kvm_vcpu **vcpu, u64 stage)
{
	pid_t me = syscall(SYS_gettid);

	switch (stage) {
	case STAGE_TRACE:
		trace_start(trace_events);
		break;
	case STAGE_REPORT_ASYNC:
		trace_report(trace_events, "A's pages with async PF", nr_pages, &me, 1);
		break;
	case STAGE_REPORT_SYNC:
		trace_report(trace_events, "A's pages without async PF", nr_pages, &me, 1);
		break;
	default:
		TEST_FAIL("unknown stage %lu", stage);
	}
}

/* userfaultfd works in the host's pages, whatever the guest's are. */
static int copy_page_in(int uffd_mode, int uffd, struct uffd_msg *msg)
{
	const u64 host_page = getpagesize();
	static u64 *src;
	struct uffdio_copy copy = {
		.dst = msg->arg.pagefault.address & ~(host_page - 1), .len = host_page,
	};

	if (!src) {
		src = aligned_alloc(host_page, host_page);
		TEST_ASSERT(src, "out of memory");
		memset(src, 0x5a, host_page);
	}
	copy.src = (u64)src;
	/* KVM's async worker and the vCPU may both wait for one page. */
	TEST_ASSERT(!ioctl(uffd, UFFDIO_COPY, &copy) || errno == EEXIST,
		    "UFFDIO_COPY: %s", strerror(errno));
	return 0;
}

int main(int argc, char *argv[])
{
	unsigned int delay_us = argc > 1 ? atoi(argv[1]) : DELAY_US;
	u64 pages;
	struct uffd_desc *uffd;
	struct kvm_vcpu *vcpu;

	nr_pages = argc > 2 ? atoi(argv[2]) : NR_PAGES;
	TEST_ASSERT(delay_us > 0 && delay_us <= 1000000, "delay: 1 to 1000000 us");
	TEST_ASSERT(nr_pages > 0 && nr_pages <= 4096, "pages: 1 to 4096");
	pages = 2 * (ROUNDS + 1) * nr_pages;
	sdei_require();
	trace_mount();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	page_size = vm->page_size;
	sync_global_to_guest(vm, page_size);
	sync_global_to_guest(vm, nr_pages);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, resume_handler);
	sdei_set_handler(vm, handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, pages, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, pages);
	uffd = uffd_setup_demand_paging(UFFDIO_REGISTER_MODE_MISSING, delay_us,
					addr_gpa2hva(vm, TEST_GPA), pages * page_size, 1,
					copy_page_in);
	printf("%lu pages (%lu KiB) per run, each copied in by userfaultfd %u us after its fault\n",
	       nr_pages, nr_pages * page_size / 1024, delay_us);
	sdei_run_syncs(&vcpu, on_sync);
	uffd_stop_demand_paging(uffd);
	kvm_vm_free(vm);
	return 0;
}
