// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest that guest/run.sh boots under Debian's QEMU.
 * It gets CPU 1 stuck with interrupts masked (test_lockup.ko) and, from
 * CPU 0, asks for a backtrace of every CPU (sysrq-l), then lets the hard
 * lockup detector find the stuck CPU. It only acts and prints markers;
 * run.sh reads the console and judges what the guest kernel printed
 * between them.
 *
 * Kernel command line:
 *   guest_test.spin=S     how long CPU 1 stays stuck, in seconds
 *   guest_test.wait       before the tests, wait for a line on the console
 *                         (run.sh migrates the guest meanwhile)
 *   guest_test.lockup     run the hard lockup phase too
 *   guest_test.bench      only load sdei_nmi_bench.ko (make bench's guest)
 *   guest_test.postcopy=M instead, a task that writes every page of M MiB
 *                         over and over, and one that counts, until a line
 *                         on the console asks for the report (run.sh
 *                         migrates the guest in postcopy meanwhile)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STUCK_CPU	1
#define TRIGGER_CPU	0

static char cmdline[4096];
static int kmsg = -1;

/*
 * Markers go through the kernel log, so that they never land in the middle
 * of a line the kernel prints on the same console.
 */
static void mark(const char *what)
{
	char line[256];
	int len = snprintf(line, sizeof(line), "GUEST-TEST: %s\n", what);

	if (kmsg < 0 || write(kmsg, line, len) != len) {
		fputs(line, stdout);
		fflush(stdout);
	}
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (!ok)
		printf("cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* CPU 1 spins in test_lockup's init with interrupts masked for @secs. */
static pid_t start_stuck_cpu(unsigned int secs)
{
	char params[128];
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	pin_to(STUCK_CPU);
	snprintf(params, sizeof(params), "disable_irq=1 time_secs=%u", secs);
	fd = open("/test_lockup.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("/test_lockup.ko");
		_exit(1);
	}
	/* test_lockup returns -EAGAIN once done, so that it can be loaded again. */
	syscall(SYS_finit_module, fd, params, 0);
	_exit(0);
}

static void wait_stuck_cpu(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
}

static unsigned int spin_seconds(void)
{
	const char *p = strstr(cmdline, "guest_test.spin=");

	return p ? (unsigned int)strtoul(p + strlen("guest_test.spin="), NULL, 10) : 4;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The writer's passes over its memory, and the counter meanwhile. */
struct passes {
	unsigned long count;
	double seconds;
	unsigned long counted;
};

struct postcopy {
	volatile unsigned long counter;
	struct passes all;
	struct passes slowest;
};

/* Odd, so that it visits every page of a power-of-two count once a pass. */
#define STRIDE_PAGES	1021

/* How often a task gave the CPU up: the writer only does to wait for a page. */
static unsigned long voluntary_switches(pid_t pid)
{
	unsigned long n = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "voluntary_ctxt_switches: %lu", &n);
	if (f)
		fclose(f);
	return n;
}

/*
 * The writer dirties its memory all the time, so that postcopy leaves it
 * behind: on the destination, each of its pages comes only when touched.
 * The counter's rate during the writer's slowest pass, against its rate
 * in the other passes, tells whether the CPU ran it while the writer
 * waited for pages (asynchronous page faults), or the vCPU stopped.
 */
static void postcopy(unsigned long mib)
{
	size_t size = mib << 20, page = sysconf(_SC_PAGESIZE), pages = size / page, i;
	unsigned long others, slept;
	double seconds, rate, slow_rate;
	pid_t counter, writer;
	struct postcopy *pc;
	char line[64];

	pc = mmap(NULL, sizeof(*pc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pc == MAP_FAILED) {
		perror("mmap");
		return;
	}
	counter = fork();
	if (!counter) {
		for (;;)
			pc->counter++;
	}
	writer = fork();
	if (!writer) {
		volatile char *mem = malloc(size);

		/* The first touch of each page is the guest's own fault: not timed. */
		for (i = 0; i < size; i += page)
			mem[i] = 1;
		for (;;) {
			unsigned long c = pc->counter;
			double start = now(), took;

			/*
			 * Out of address order, so that postcopy's background
			 * stream, which runs in address order, does not bring
			 * the next page just in time.
			 */
			for (i = 0; i < pages; i++)
				mem[(i * STRIDE_PAGES % pages) * page]++;
			took = now() - start;
			c = pc->counter - c;
			pc->all.count++;
			pc->all.seconds += took;
			pc->all.counted += c;
			if (took > pc->slowest.seconds) {
				pc->slowest.seconds = took;
				pc->slowest.counted = c;
			}
		}
	}
	mark("postcopy: writing and counting");
	if (!fgets(line, sizeof(line), stdin))
		mark("the console closed");
	slept = voluntary_switches(writer);
	kill(writer, SIGKILL);
	kill(counter, SIGKILL);

	others = pc->all.count - 1;
	seconds = pc->all.seconds - pc->slowest.seconds;
	if (pc->all.count < 2 || seconds <= 0 || pc->slowest.seconds <= 0) {
		mark("postcopy: too few passes to compare");
		return;
	}
	rate = (pc->all.counted - pc->slowest.counted) / seconds;
	slow_rate = pc->slowest.counted / pc->slowest.seconds;
	printf("GUEST-TEST: postcopy: %lu passes over %lu MiB; the slowest took %.0f ms, the others %.2f ms on average\n",
	       pc->all.count, mib, pc->slowest.seconds * 1e3, seconds * 1e3 / others);
	printf("GUEST-TEST: postcopy: counter rate during the slowest pass: %.0f%% of the others'\n",
	       100 * slow_rate / rate);
	printf("GUEST-TEST: postcopy: the writer slept %lu times\n", slept);
}

int main(void)
{
	unsigned int secs;
	const char *p;
	char line[64];
	pid_t pid;
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg = open("/dev/kmsg", O_WRONLY);
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);

		cmdline[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	secs = spin_seconds();
	pin_to(TRIGGER_CPU);

	if (strstr(cmdline, "guest_test.bench")) {
		mark("benchmark: SDEI event 0 against an IPI");
		fd = open("/sdei_nmi_bench.ko", O_RDONLY | O_CLOEXEC);
		/* It reports, then fails with EAGAIN so that it can be reloaded. */
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) == 0 || errno != EAGAIN)
			printf("sdei_nmi_bench.ko: %s\n", strerror(errno));
		mark("done");
		sync();
		reboot(RB_POWER_OFF);
	}

	p = strstr(cmdline, "guest_test.postcopy=");
	if (p) {
		postcopy(strtoul(p + strlen("guest_test.postcopy="), NULL, 10));
		mark("done");
		sync();
		reboot(RB_POWER_OFF);
	}

	if (strstr(cmdline, "guest_test.wait")) {
		mark("waiting for the console");
		if (!fgets(line, sizeof(line), stdin))
			mark("the console closed");
		mark("resumed");
	}

	/* The backtrace: sysrq-l from CPU 0 while CPU 1 is stuck. */
	mark("CPU 1 gets stuck with interrupts masked");
	pid = start_stuck_cpu(secs);
	/* Room for CPU 1 to load the module and mask interrupts. */
	sleep(2);
	mark("CPU 0 asks every CPU for a backtrace (sysrq-l)");
	write_file("/proc/sysrq-trigger", "l");
	mark("the backtrace request returned");
	wait_stuck_cpu(pid);
	mark("CPU 1 is released");

	if (strstr(cmdline, "guest_test.lockup")) {
		mark("the hard lockup detector is on; CPU 1 gets stuck again");
		write_file("/proc/sys/kernel/nmi_watchdog", "1");
		pid = start_stuck_cpu(secs);
		wait_stuck_cpu(pid);
		write_file("/proc/sys/kernel/nmi_watchdog", "0");
		mark("CPU 1 is released from the lockup");
	}

	mark("done");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
