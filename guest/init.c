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
 *   guest_test.hostnmi    instead, CPU 1 stuck while the host sends an NMI
 *   guest_test.panic      with hostnmi, then arm_sdei_nmi.unknown_nmi_panic=1
 *                         and CPU 1 stuck again, for the host's next NMI
 *   guest_test.crash      last, CPU 1 stuck while CPU 0 panics (sysrq-c)
 *   guest_test.kdump      with crash or hostnmi: first load /capture-Image
 *                         as the crash kernel (crashkernel= reserves it),
 *                         with this program as its /init
 *   guest_test.capture    the crash kernel's: list the register notes of
 *                         /proc/vmcore (run.sh finds the stuck CPU's)
 *
 * While CPU 1 spins, the console may lag: run.sh times the host's NMI from
 * the marker before the spin.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/procfs.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STUCK_CPU	1
#define TRIGGER_CPU	0
/* Longer than a panic takes to reach its crash stop: CPU 1 must still spin. */
#define CRASH_SPIN_SECONDS	40

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

/*
 * Waits, for at most @timeout_s, for a kernel message holding @needle that
 * comes after this call.
 */
static bool wait_for_message(const char *needle, unsigned int timeout_s)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char record[1024];
	unsigned int waited_ms = 0;
	ssize_t n;

	if (fd < 0)
		return false;
	lseek(fd, 0, SEEK_END);
	while (waited_ms < timeout_s * 1000) {
		n = read(fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EAGAIN) {
			usleep(100 * 1000);
			waited_ms += 100;
			continue;
		}
		if (n < 0 && errno != EPIPE)
			break;
		if (n > 0) {
			record[n] = '\0';
			if (strstr(record, needle)) {
				close(fd);
				return true;
			}
		}
	}
	close(fd);
	return false;
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
 * The address range of function @name, of @module ("" for the kernel's
 * own): from its address to the next symbol of the same image.
 */
static bool symbol_range(const char *name, const char *module,
			 unsigned long *start, unsigned long *end)
{
	unsigned long addr, next = ~0UL;
	char line[256], sym[128], mod[128];
	FILE *f = fopen("/proc/kallsyms", "r");
	int pass;

	*start = 0;
	for (pass = 0; f && pass < 2; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			mod[0] = '\0';
			if (sscanf(line, "%lx %*s %127s [%127[^]]]", &addr, sym, mod) < 2 ||
			    strcmp(mod, module))
				continue;
			if (pass == 0 && !strcmp(sym, name))
				*start = addr;
			else if (pass == 1 && addr > *start && addr < next)
				next = addr;
		}
		if (!*start)
			break;
	}
	if (f)
		fclose(f);
	*end = next;
	return *start && next != ~0UL;
}

/* One entry of a newc cpio archive. */
static void cpio_entry(FILE *f, const char *name, unsigned int mode,
		       unsigned int rdev_major, unsigned int rdev_minor,
		       const void *data, size_t size)
{
	static unsigned int ino = 1;
	size_t namesize = strlen(name) + 1;
	static const char zeros[4];

	fprintf(f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		ino++, mode, 0, 0, 1, 0, size, 0, 0, rdev_major, rdev_minor, namesize, 0);
	fwrite(name, 1, namesize, f);
	fwrite(zeros, 1, (4 - (110 + namesize) % 4) % 4, f);
	fwrite(data, 1, size, f);
	fwrite(zeros, 1, (4 - size % 4) % 4, f);
}

/*
 * Where CPU 1 spins, for run.sh to find in the vmcore's register notes:
 * the task that loads test_lockup, in test_wait() or in the delay loop
 * it runs (mdelay(): __delay() and __delay_cycles()).
 */
static void mark_spin(pid_t pid)
{
	static const char *const spin[][2] = {
		{ "test_wait", "test_lockup" }, { "__delay", "" }, { "__delay_cycles", "" },
	};
	unsigned long start, end;
	char line[256];
	int len, i;

	len = snprintf(line, sizeof(line), "spin: pid %d, at", pid);
	for (i = 0; i < 3; i++) {
		if (!symbol_range(spin[i][0], spin[i][1], &start, &end)) {
			snprintf(line, sizeof(line), "spin: %s() not found", spin[i][0]);
			break;
		}
		len += snprintf(line + len, sizeof(line) - len, " %lx-%lx", start, end);
	}
	mark(line);
}

/*
 * kdump: the crash kernel is /capture-Image with an initramfs of this
 * program alone, loaded with kexec_file_load (no kexec-tools needed).
 */
static void load_crash_kernel(void)
{
	static const char cmd[] = "console=ttyAMA0 maxcpus=1 reset_devices panic=-1 "
				  "printk.devkmsg=on guest_test.capture";
	static char self[4 << 20];
	int kfd, ifd;
	size_t n;
	FILE *f;

	f = fopen("/init", "r");
	n = f ? fread(self, 1, sizeof(self), f) : 0;
	if (f)
		fclose(f);
	f = fopen("/capture.cpio", "w");
	if (!f || !n || n == sizeof(self)) {
		mark("kdump: cannot pack the crash kernel's initramfs");
		return;
	}
	cpio_entry(f, "dev", 040755, 0, 0, NULL, 0);
	cpio_entry(f, "dev/console", 020600, 5, 1, NULL, 0);
	cpio_entry(f, "proc", 040755, 0, 0, NULL, 0);
	cpio_entry(f, "init", 0100755, 0, 0, self, n);
	cpio_entry(f, "TRAILER!!!", 0, 0, 0, NULL, 0);
	fclose(f);
	kfd = open("/capture-Image", O_RDONLY);
	ifd = open("/capture.cpio", O_RDONLY);
	if (syscall(SYS_kexec_file_load, kfd, ifd, sizeof(cmd), cmd, 2 /* ON_CRASH */))
		printf("kexec_file_load: %s\n", strerror(errno));
	else
		mark("kdump: the crash kernel is loaded");
}

/* The crash kernel: which CPUs' registers the vmcore holds, and where. */
static void report_vmcore(void)
{
	unsigned int notes = 0;
	char line[160];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i;

	fd = open("/proc/vmcore", O_RDONLY);
	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) {
		mark("vmcore: cannot read /proc/vmcore");
		return;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		char *buf, *p;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph) ||
		    ph.p_type != PT_NOTE)
			continue;
		buf = malloc(ph.p_filesz);
		if (!buf || pread(fd, buf, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz) {
			free(buf);
			continue;
		}
		for (p = buf; p + sizeof(Elf64_Nhdr) <= buf + ph.p_filesz;) {
			Elf64_Nhdr *nh = (Elf64_Nhdr *)p;
			char *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3);

			if (nh->n_type == NT_PRSTATUS &&
			    nh->n_descsz >= sizeof(struct elf_prstatus)) {
				struct elf_prstatus *st = (struct elf_prstatus *)desc;
				unsigned long pc = st->pr_reg[32];

				snprintf(line, sizeof(line),
					 "vmcore: register note %u: pid %d, pc %lx", notes++,
					 st->pr_pid, pc);
				mark(line);
			}
			p = desc + ((nh->n_descsz + 3) & ~3);
		}
		free(buf);
	}
	snprintf(line, sizeof(line), "vmcore: %u register notes", notes);
	mark(line);
	close(fd);
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

	if (strstr(cmdline, "guest_test.capture")) {
		mark("the crash kernel");
		report_vmcore();
		mark("done");
		reboot(RB_POWER_OFF);
	}
	pin_to(TRIGGER_CPU);

	if (strstr(cmdline, "guest_test.bench")) {
		char params[32] = "";

		p = strstr(cmdline, "guest_test.bench_batches=");
		if (p)
			snprintf(params, sizeof(params), "batches=%lu",
				 strtoul(p + strlen("guest_test.bench_batches="), NULL, 10));
		mark("benchmark: SDEI event 0 against an IPI");
		fd = open("/sdei_nmi_bench.ko", O_RDONLY | O_CLOEXEC);
		/* It reports, then fails with EAGAIN so that it can be reloaded. */
		if (fd < 0 || syscall(SYS_finit_module, fd, params, 0) == 0 || errno != EAGAIN)
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

	if (strstr(cmdline, "guest_test.kdump"))
		load_crash_kernel();

	/* The host sends its NMI while CPU 1 spins; CPU 0 waits for CPU 1. */
	if (strstr(cmdline, "guest_test.hostnmi")) {
		mark("CPU 1 gets stuck with interrupts masked");
		pid = start_stuck_cpu(secs);
		sleep(2);
		mark_spin(pid);
		wait_stuck_cpu(pid);
		mark("CPU 1 is released");
		if (strstr(cmdline, "guest_test.panic")) {
			write_file("/sys/module/arm_sdei_nmi/parameters/unknown_nmi_panic", "1");
			mark("unknown_nmi_panic=1: CPU 1 gets stuck again");
			pid = start_stuck_cpu(CRASH_SPIN_SECONDS);
			sleep(2);
			mark_spin(pid);
			wait_stuck_cpu(pid);
			mark("CPU 1 is released, and no panic came");
		}
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
		/*
		 * One report is what the test needs. The detector reports
		 * again each time a console write touches the watchdog, and
		 * each report is a backtrace the slow console must print.
		 */
		if (!wait_for_message("Watchdog detected hard LOCKUP", secs + 10))
			mark("no hard lockup report");
		write_file("/proc/sys/kernel/nmi_watchdog", "0");
		wait_stuck_cpu(pid);
		mark("CPU 1 is released from the lockup");
	}

	if (strstr(cmdline, "guest_test.crash")) {
		mark("CPU 1 gets stuck with interrupts masked, for the crash");
		pid = start_stuck_cpu(CRASH_SPIN_SECONDS);
		sleep(2);
		mark_spin(pid);
		mark("CPU 0 panics (sysrq-c)");
		write_file("/proc/sysrq-trigger", "c");
		mark("the panic returned");
	}

	mark("done");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
