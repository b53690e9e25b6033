// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test initramfs. It mounts the pseudo filesystems, carries
 * out /plan one step a line, reports each step as a TAP test point, prints
 * a summary line the host looks for, and powers the machine off.
 *
 * Plan steps:
 *   insmod PATH          load a module
 *   rmmod NAME           unload a module
 *   run PATH [ARG...]    run a program: exit 0 passes, 4 (KSFT_SKIP) skips
 *   known-failure PATH   run a program that fails the same way without our
 *                        changes (Documentation/testing.rst): a failure is
 *                        reported as a skip that says so, a pass as a pass
 *   skip PATH [ARG...]   run a program that must skip (KSFT_SKIP): that
 *                        passes, and anything else fails
 *   echo TEXT            print TEXT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define STEP_TIMEOUT_S	600
#define MAX_ARGS	32
#define LINE_LEN	1024
/* Room for a plan line and the step's verb. */
#define WHAT_LEN	(LINE_LEN + 16)

static int passed, failed, skipped, step;

static void report(int status, const char *what, const char *why)
{
	step++;
	if (status == 0) {
		passed++;
		printf("ok %d - %s\n", step, what);
	} else if (status == KSFT_SKIP) {
		skipped++;
		printf("ok %d - %s # SKIP %s\n", step, what, why);
	} else {
		failed++;
		printf("not ok %d - %s # %s\n", step, what, why);
	}
	fflush(stdout);
}

static void do_insmod(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char what[WHAT_LEN];

	snprintf(what, sizeof(what), "insmod %s", path);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
		report(1, what, strerror(errno));
	} else {
		report(0, what, NULL);
	}
	if (fd >= 0)
		close(fd);
}

static void do_rmmod(const char *name)
{
	char what[WHAT_LEN];

	snprintf(what, sizeof(what), "rmmod %s", name);
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		report(1, what, strerror(errno));
	else
		report(0, what, NULL);
}

enum run_kind {
	RUN,
	KNOWN_FAILURE,
	MUST_SKIP,
};

static void do_run(char *cmd, enum run_kind kind)
{
	char *argv[MAX_ARGS + 1];
	char what[WHAT_LEN], why[128];
	int argc = 0, status;
	struct timespec start, end;
	pid_t pid;

	snprintf(what, sizeof(what), "%s%s", kind == MUST_SKIP ? "skips: " : "", cmd);
	for (char *tok = strtok(cmd, " \t"); tok && argc < MAX_ARGS;
	     tok = strtok(NULL, " \t"))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (!argc)
		return;

	printf("# run %s\n", what);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid == 0) {
		alarm(STEP_TIMEOUT_S);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		report(1, what, strerror(errno));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("# %s took %lds\n", argv[0], (long)(end.tv_sec - start.tv_sec));

	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		snprintf(why, sizeof(why), "exit status %d", code);
		if (kind == MUST_SKIP) {
			snprintf(why, sizeof(why), "exit status %d, want %d (KSFT_SKIP)",
				 code, KSFT_SKIP);
			code = code == KSFT_SKIP ? 0 : 1;
		} else if (kind == KNOWN_FAILURE && code != 0 && code != KSFT_SKIP) {
			snprintf(why, sizeof(why),
				 "exit status %d, a known failure under QEMU TCG (Documentation/testing.rst)",
				 code);
			code = KSFT_SKIP;
		}
		report(code, what, why);
	} else {
		snprintf(why, sizeof(why), "killed by signal %d%s",
			 WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (timed out)" : "");
		report(1, what, why);
	}
}

int main(void)
{
	char line[LINE_LEN];
	FILE *plan;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	plan = fopen("/plan", "r");
	if (!plan) {
		perror("/plan");
		report(1, "read /plan", strerror(errno));
	}
	printf("TAP version 13\n");
	while (plan && fgets(line, sizeof(line), plan)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "insmod ", 7))
			do_insmod(line + 7);
		else if (!strncmp(line, "rmmod ", 6))
			do_rmmod(line + 6);
		else if (!strncmp(line, "run ", 4))
			do_run(line + 4, RUN);
		else if (!strncmp(line, "known-failure ", 14))
			do_run(line + 14, KNOWN_FAILURE);
		else if (!strncmp(line, "skip ", 5))
			do_run(line + 5, MUST_SKIP);
		else if (!strncmp(line, "echo ", 5))
			printf("%s\n", line + 5);
	}
	printf("1..%d\n", step);
	printf("KVM-SDEI-SUMMARY: passed=%d failed=%d skipped=%d\n",
	       passed, failed, skipped);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
