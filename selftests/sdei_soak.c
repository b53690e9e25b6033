// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_soak - the provider under concurrency, for a bounded time.
 *
 * Usage: sdei_soak SECONDS MODULE_PATH
 *
 * Round after round until SECONDS have passed, a VM of NR_VCPUS vCPUs:
 * - every vCPU registers both events and signals random peers, masks and
 *   unmasks itself and resets its private state, taking whatever arrives;
 * - each vCPU's thread resets its vCPU (KVM_ARM_VCPU_INIT, which is
 *   kvm_reset_vcpu() as for PSCI CPU_ON) between runs of the guest code,
 *   while its peers go on signalling it;
 * - INJECTORS host threads raise the async PF event on random vCPUs
 *   through the synthetic event source, sdei_test_inject.ko;
 * - another thread tries to unload the provider, which must be refused
 *   while the VM exists.
 * Between rounds, with no VM left, the provider is unloaded and loaded
 * again. make soak runs this on KASAN and KCSAN kernels, where the log
 * must stay clean; make test runs it briefly.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sdei_test.h"
#include "test_util.h"

#define NR_VCPUS	8
#define INJECTORS	2
#define ITERATIONS	400
#define RUNS_PER_ROUND	4

static uint64_t deliveries[NR_VCPUS], signals_sent[NR_VCPUS];

static uint64_t next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void handler(struct sdei_entry_regs *regs)
{
	__atomic_add_fetch(&deliveries[guest_mpidr() & 0xff], 1, __ATOMIC_RELAXED);
}

static void arm(void)
{
	sdei(SDEI_FN_REGISTER, SDEI_EV_SW, (uint64_t)sdei_entry, 0, 0, 0);
	sdei(SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, 0, 0, 0);
	sdei(SDEI_FN_ENABLE, SDEI_EV_SW);
	sdei(SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
	sdei(SDEI_FN_PE_UNMASK);
}

static void guest_code(uint64_t index, uint64_t seed)
{
	uint64_t rng = seed | 1;
	int i;

	arm();
	for (i = 0; i < ITERATIONS; i++) {
		uint64_t r = next(&rng);

		switch (r % 16) {
		case 0:
			sdei(SDEI_FN_PE_MASK);
			sdei(SDEI_FN_PE_UNMASK);
			break;
		case 1:
			sdei(SDEI_FN_PRIVATE_RESET);
			arm();
			break;
		default:
			if (!sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, (r >> 8) % NR_VCPUS))
				signals_sent[index]++;
		}
	}
	GUEST_DONE();
}

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	uint64_t sp, pc;
	int index;
	uint64_t seed;
	int resets;
};

static void *run_vcpu(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ucall uc;
	int run;

	for (run = 0; run < RUNS_PER_ROUND; run++) {
		if (run) {
			/* A reset while the peers go on signalling this vCPU. */
			aarch64_vcpu_setup(t->vcpu, NULL);
			vcpu_set_reg(t->vcpu, ARM64_CORE_REG(sp_el1), t->sp);
			vcpu_set_reg(t->vcpu, ARM64_CORE_REG(regs.pc), t->pc);
			vcpu_args_set(t->vcpu, 2, t->index, t->seed + run);
			t->resets++;
		}
		vcpu_run(t->vcpu);
		switch (get_ucall(t->vcpu, &uc)) {
		case UCALL_DONE:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("vCPU %d: unexpected exit %s", t->index,
				  exit_reason_str(t->vcpu->run->exit_reason));
		}
	}
	return NULL;
}

static volatile bool round_over;
static uint64_t injected, rmmod_refused;

static void *inject(void *arg)
{
	struct kvm_vm *vm = arg;
	uint64_t rng = (uint64_t)pthread_self() | 1, ok = 0;

	while (!round_over) {
		int err = sdei_inject(vm, next(&rng) % NR_VCPUS, KVM_ARM_SDEI_ASYNC_PF_EVENT);

		/* The target may have the event unregistered or not accept it. */
		TEST_ASSERT(!err || err == EAGAIN || err == ENOENT, "inject: %s", strerror(err));
		ok += !err;
	}
	__atomic_add_fetch(&injected, ok, __ATOMIC_RELAXED);
	return NULL;
}

static void *try_rmmod(void *arg)
{
	while (!round_over) {
		TEST_ASSERT(syscall(SYS_delete_module, "kvm_sdei", O_NONBLOCK) != 0,
			    "the provider was unloaded under a live VM");
		TEST_ASSERT(errno == EAGAIN || errno == EBUSY, "rmmod: %s", strerror(errno));
		rmmod_refused++;
		usleep(1000);
	}
	return NULL;
}

static void reload(const char *module)
{
	int fd;

	TEST_ASSERT(!syscall(SYS_delete_module, "kvm_sdei", O_NONBLOCK),
		    "rmmod with no VM left: %s", strerror(errno));
	fd = open(module, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open %s: %s", module, strerror(errno));
	TEST_ASSERT(!syscall(SYS_finit_module, fd, "", 0), "insmod: %s", strerror(errno));
	close(fd);
}

static uint64_t one_round(int round, uint64_t *resets, uint64_t *signals)
{
	struct vcpu_thread threads[NR_VCPUS];
	pthread_t vcpu_tids[NR_VCPUS], injectors[INJECTORS], rmmod_tid;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	uint64_t delivered = 0;
	struct kvm_vm *vm;
	int i;

	memset(deliveries, 0, sizeof(deliveries));
	memset(signals_sent, 0, sizeof(signals_sent));
	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	sdei_set_handler(vm, handler);
	sync_global_to_guest(vm, deliveries);
	sync_global_to_guest(vm, signals_sent);
	for (i = 0; i < NR_VCPUS; i++) {
		threads[i] = (struct vcpu_thread){
			.vcpu = vcpus[i], .index = i,
			.seed = 0x9e3779b97f4a7c15ULL * (round * NR_VCPUS + i + 1),
		};
		threads[i].sp = vcpu_get_reg(vcpus[i], ARM64_CORE_REG(sp_el1));
		threads[i].pc = vcpu_get_reg(vcpus[i], ARM64_CORE_REG(regs.pc));
		vcpu_args_set(vcpus[i], 2, i, threads[i].seed);
	}

	round_over = false;
	for (i = 0; i < INJECTORS; i++)
		pthread_create(&injectors[i], NULL, inject, vm);
	pthread_create(&rmmod_tid, NULL, try_rmmod, NULL);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&vcpu_tids[i], NULL, run_vcpu, &threads[i]);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(vcpu_tids[i], NULL);
	round_over = true;
	for (i = 0; i < INJECTORS; i++)
		pthread_join(injectors[i], NULL);
	pthread_join(rmmod_tid, NULL);

	sync_global_from_guest(vm, deliveries);
	sync_global_from_guest(vm, signals_sent);
	for (i = 0; i < NR_VCPUS; i++) {
		delivered += deliveries[i];
		*signals += signals_sent[i];
		*resets += threads[i].resets;
	}
	kvm_vm_free(vm);
	return delivered;
}

int main(int argc, char **argv)
{
	uint64_t delivered = 0, resets = 0, signals = 0;
	struct timespec start, now;
	int seconds, rounds = 0;

	ksft_print_header();
	ksft_set_plan(1);
	TEST_REQUIRE(argc == 3);
	seconds = atoi(argv[1]);

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		delivered += one_round(rounds, &resets, &signals);
		reload(argv[2]);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < seconds);

	TEST_ASSERT(delivered > 0, "no event was delivered");
	ksft_test_result_pass("%ds: %d rounds of %d vCPUs, %lu signals, %lu deliveries, %lu resets, "
			      "%lu injections, %lu refused rmmods, %d reloads\n",
			      (int)(now.tv_sec - start.tv_sec), rounds, NR_VCPUS, signals,
			      delivered, resets, injected, rmmod_refused, rounds);
	ksft_finished();
}
