/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a request costs the host, counted with tracepoints, for make
 * bench's benchmarks: trace_start() clears the trace and turns some events
 * on; trace_report() turns tracing off and prints how many events of each
 * kind each request cost, for each vCPU thread and for the rest of the
 * host. Exits are counted by kind ("exit TRAP HVC64", "exit IRQ"), host
 * IPIs by reason, and a thread's context switches by whether it was
 * preempted or went to sleep.
 */
#ifndef SELFTEST_KVM_SDEI_TRACE_TALLY_H
#define SELFTEST_KVM_SDEI_TRACE_TALLY_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "test_util.h"

#define TRACING		"/sys/kernel/tracing"
#define MAX_KINDS	24

static inline void trace_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	TEST_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s), "write %s", path);
	close(fd);
}

static inline void trace_mount(void)
{
	if (access(TRACING "/trace", F_OK))
		TEST_ASSERT(!mount("tracefs", TRACING, "tracefs", 0, NULL),
			    "mount tracefs: %s", strerror(errno));
}

/* Turns @events ("system/event", NULL-terminated) on or off. */
static inline void trace_enable(const char *const *events, bool on)
{
	char path[128];

	for (; *events; events++) {
		snprintf(path, sizeof(path), TRACING "/events/%s/enable", *events);
		if (access(path, F_OK))
			printf("(this kernel has no tracepoint %s)\n", *events);
		else
			trace_write(path, on ? "1" : "0");
	}
}

/* Clears the trace and traces @events. */
static inline void trace_start(const char *const *events)
{
	trace_write(TRACING "/tracing_on", "0");
	trace_write(TRACING "/trace", "");
	trace_enable(events, true);
	trace_write(TRACING "/tracing_on", "1");
}

struct tally {
	char kind[MAX_KINDS][64];
	unsigned int count[MAX_KINDS];
	int n;
};

static inline void tally_add(struct tally *t, const char *kind)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->kind[i], kind))
			break;
	if (i == t->n) {
		TEST_ASSERT(t->n < MAX_KINDS, "too many kinds of trace events");
		snprintf(t->kind[t->n++], sizeof(t->kind[0]), "%s", kind);
	}
	t->count[i]++;
}

/* The kind of the event @ev ("name: fields"), as trace_report() counts it. */
static inline void trace_kind(const char *ev, char *kind, size_t size)
{
	char type[16] = "", class[32] = "";
	const char *p;

	if (!strncmp(ev, "kvm_exit: ", 10)) {
		/* "TRAP: HSR_EC: 0x0016 (HVC64), PC: ..." */
		if (sscanf(ev + 10, "%15[^:]: HSR_EC: %*x (%31[^)])", type, class) < 1)
			snprintf(kind, size, "exit (unparsed)");
		else if (strcmp(type, "TRAP"))
			snprintf(kind, size, "exit %s", type);
		else
			snprintf(kind, size, "exit TRAP %s", class);
	} else if (!strncmp(ev, "ipi_raise: ", 11)) {
		p = strchr(ev, '(');
		snprintf(kind, size, "host IPI %.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
	} else if (!strncmp(ev, "sched_switch: ", 14)) {
		p = strstr(ev, "prev_state=");
		snprintf(kind, size, "switched out, %s",
			 p && p[11] == 'R' ? "preempted" : "asleep");
	} else {
		snprintf(kind, size, "%.*s", (int)strcspn(ev, ":"), ev);
	}
}

/*
 * Stops tracing, turns @events off again (an enabled SDEI tracepoint makes
 * KVM ask the provider for a report on every call, which would slow what
 * is measured next), and prints what each of the last @requests requests
 * cost, for each of the @n threads in @tids (vCPU 0, 1...) and the rest.
 */
static inline void trace_report(const char *const *events, const char *what, int requests,
				const pid_t *tids, int n)
{
	static struct tally per_thread[8];
	unsigned long in_buffer, written;
	char line[512], kind[64];
	struct tally *t;
	FILE *f;

	TEST_ASSERT(n < 8, "at most 7 threads");
	memset(per_thread, 0, sizeof(per_thread));
	trace_write(TRACING "/tracing_on", "0");
	trace_enable(events, false);
	f = fopen(TRACING "/trace", "r");
	TEST_ASSERT(f, "open trace: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *ev, *cpu, *dash;
		pid_t pid;
		int i;

		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in_buffer, &written) == 2)
			TEST_ASSERT(in_buffer == written, "the trace lost %lu events",
				    written - in_buffer);
		if (line[0] == '#')
			continue;
		/* "<task>-<pid> [cpu] flags timestamp: event: fields"; a task may have spaces. */
		cpu = strstr(line, " [");
		ev = cpu ? strstr(cpu, ": ") : NULL;
		if (!ev)
			continue;
		*cpu = '\0';
		dash = strrchr(line, '-');
		pid = dash ? atoi(dash + 1) : -1;
		trace_kind(ev + 2, kind, sizeof(kind));
		for (i = 0; i < n && tids[i] != pid; i++)
			;
		tally_add(&per_thread[i], kind);
	}
	fclose(f);
	printf("%s, per request (%d requests):\n", what, requests);
	for (int i = 0; i <= n; i++) {
		char who[16];

		t = &per_thread[i];
		if (i < n)
			snprintf(who, sizeof(who), "vCPU %d", i);
		else
			snprintf(who, sizeof(who), "other");
		for (int k = 0; k < t->n; k++)
			printf("  %-8s %-44s %6.2f\n", who, t->kind[k],
			       (double)t->count[k] / requests);
	}
}

#endif /* SELFTEST_KVM_SDEI_TRACE_TALLY_H */
