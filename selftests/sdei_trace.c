// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_trace - KVM's SDEI tracepoints record what a known sequence does.
 *
 * With kvm_sdei_call, kvm_sdei_deliver, kvm_sdei_complete and
 * kvm_sdei_inject enabled through tracefs, a guest registers event 0,
 * signals itself and completes, then takes an async PF event the host
 * injects and completes it with COMPLETE_AND_RESUME. The trace must hold,
 * in order: the calls with the values they answered, each delivery with
 * its event and the PC it interrupted, each completion, and the injection
 * with its result.
 */
#include <sys/mount.h>

#include "sdei_test.h"
#include "test_util.h"

#define TRACING		"/sys/kernel/tracing"

static const char *const events[] = {
	"kvm_sdei_call", "kvm_sdei_deliver", "kvm_sdei_complete", "kvm_sdei_inject",
};

static void handler(struct sdei_entry_regs *regs)
{
}

static void irq_vector(struct ex_regs *regs)
{
}

static void guest_code(void)
{
	SDEI_CHECK(SDEI_EXPECTED_VERSION, SDEI_FN_VERSION);
	sdei_ready(SDEI_EV_SW, 0);
	SDEI_CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, guest_mpidr());
	SDEI_CHECK(0, SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, 0, 0, 0);
	SDEI_CHECK(0, SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
	sdei_finish_fn = SDEI_FN_COMPLETE_AND_RESUME;
	sdei_finish_arg = read_sysreg(vbar_el1) + 0x280;
	GUEST_SYNC(0);
	GUEST_DONE();
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	TEST_ASSERT(write(fd, text, strlen(text)) == strlen(text), "write %s", path);
	close(fd);
}

static void enable_events(const char *on)
{
	char path[256];
	int i;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), TRACING "/events/kvm/%s/enable", events[i]);
		write_file(path, on);
	}
}

static char *read_trace(void)
{
	static char buf[1 << 16];
	int fd = open(TRACING "/trace", O_RDONLY);
	ssize_t n, len = 0;

	TEST_ASSERT(fd >= 0, "open trace: %s", strerror(errno));
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Finds @want in @trace after *@at, and moves *@at past it. */
static void expect(const char *trace, const char **at, const char *want)
{
	const char *found = strstr(*at, want);

	TEST_ASSERT(found, "the trace lacks, in order, \"%s\"; it holds:\n%s", want, trace);
	*at = found + strlen(want);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	const char *trace, *at;
	char line[128];
	int err;

	ksft_print_header();
	ksft_set_plan(1);
	if (access(TRACING "/trace", F_OK))
		TEST_ASSERT(!mount("tracefs", TRACING, "tracefs", 0, NULL),
			    "mount tracefs: %s", strerror(errno));
	write_file(TRACING "/trace", "");
	enable_events("1");

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_install_irq_vector(vm, vcpu, irq_vector);
	sdei_set_handler(vm, handler);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	err = sdei_inject(vm, vcpu->id, KVM_ARM_SDEI_ASYNC_PF_EVENT);
	TEST_ASSERT(!err, "inject: %s", strerror(err));
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	enable_events("0");

	trace = read_trace();
	at = trace;
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc4000020 result 0x1000100000000");
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc4000021 result 0x0");
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc400002c result 0x0");
	/* SIGNAL to itself answers 0, then its handler is entered. */
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc400002f result 0x0");
	expect(trace, &at, "kvm_sdei_deliver: vcpu 0 event 0x0 interrupted PC");
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc4000025 result 0x0");
	expect(trace, &at, "kvm_sdei_complete: vcpu 0 event 0x0 completed");
	snprintf(line, sizeof(line), "kvm_sdei_inject: vcpu 0 event 0x%x ret 0",
		 KVM_ARM_SDEI_ASYNC_PF_EVENT);
	expect(trace, &at, line);
	snprintf(line, sizeof(line), "kvm_sdei_deliver: vcpu 0 event 0x%x interrupted PC",
		 KVM_ARM_SDEI_ASYNC_PF_EVENT);
	expect(trace, &at, line);
	expect(trace, &at, "kvm_sdei_call: vcpu 0 fn 0xc4000026 result 0x0");
	snprintf(line, sizeof(line), "kvm_sdei_complete: vcpu 0 event 0x%x completed and resumed",
		 KVM_ARM_SDEI_ASYNC_PF_EVENT);
	expect(trace, &at, line);
	ksft_test_result_pass("the SDEI tracepoints record calls, deliveries, completions and an injection\n");
	ksft_finished();
}
