// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_stress - several vCPUs hammer the SDEI interface at once.
 *
 * Each vCPU makes thousands of calls with random function IDs (SDEI range,
 * SMC32 forms, and beyond) and random arguments, signals its peers, and
 * takes whatever events result, while a host thread injects asynchronous
 * page fault events on random vCPUs (a bounded number of them). Only two restrictions keep the guest
 * itself alive: registrations use the real handler, and nothing completes
 * a handler early. The guest must finish, every call must return one of
 * SDEI's codes, and the host kernel log must stay clean (the test harness
 * runs the kernel with lockdep and panic_on_warn).
 */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "sdei_test.h"
#include "test_util.h"

#define NR_VCPUS	4
#define CALLS		4000
/*
 * A bounded number of injections: an unbounded flood at a fixed rate is an
 * event storm, which may starve a slow (emulated) vCPU of progress.
 */
#define INJECTIONS	2000

static uint64_t deliveries[NR_VCPUS];

static uint64_t next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static uint64_t random_arg(uint64_t *rng)
{
	static const uint64_t interesting[] = {
		0, 1, 2, 17, 18, KVM_ARM_SDEI_ASYNC_PF_EVENT, 0x40400000,
		1ULL << 31, ~0ULL,
	};
	uint64_t r = next(rng);

	switch (r % 4) {
	case 0:
		return interesting[(r >> 8) % ARRAY_SIZE(interesting)];
	case 1:
		return (r >> 8) % (NR_VCPUS + 1);	/* an MPIDR, mostly valid */
	default:
		return r;
	}
}

/* One random call; returns x0 and sets *fn_out to the function ID used. */
static uint64_t random_call(uint64_t *rng, bool in_handler, uint32_t *fn_out)
{
	uint64_t r = next(rng), a[5];
	uint32_t fn;
	int i;

	for (i = 0; i < 5; i++)
		a[i] = random_arg(rng);

	switch (r % 8) {
	case 0:
		fn = 0x84000020 + (r >> 8) % 32;	/* SMC32 forms */
		break;
	case 1:
		fn = r >> 32;				/* anything */
		break;
	default:
		fn = SDEI_FN((r >> 8) % 32);
	}

	/* Keep the guest itself alive. */
	if (fn == SDEI_FN_REGISTER)
		a[1] = (uint64_t)sdei_entry;
	if (fn == SDEI_FN_COMPLETE_AND_RESUME || (in_handler && fn == SDEI_FN_COMPLETE))
		fn = SDEI_FN_VERSION;
	if (fn >= 0xc4000000 && fn < 0xc4000020)
		fn = SDEI_FN_VERSION;			/* PSCI's range */
	if (fn >= 0x84000000 && fn < 0x84000020)
		fn = SDEI_FN_VERSION;

	*fn_out = fn;
	return sdei_call((r >> 20) & 1 ? SDEI_SMC : SDEI_HVC, fn, a[0], a[1], a[2], a[3], a[4]);
}

/*
 * Outside a handler, an SDEI call answers VERSION's value, a small value
 * (STATUS, GET_INFO, PE_MASK...) or an SDEI error; an SMC32 form of an
 * SDEI ID answers NOT_SUPPORTED. Other IDs belong to other services.
 */
static void check_answer(uint32_t fn, uint64_t x0)
{
	int64_t v = x0;

	if (fn >= SDEI_FN(0) && fn <= SDEI_FN(0x1f))
		GUEST_ASSERT(x0 == SDEI_EXPECTED_VERSION || x0 <= 7 ||
			     v == -1 || v == -2 || v == -3 || v == -5 || v == -10);
	else if (fn >= 0x84000020 && fn <= 0x8400003f)
		GUEST_ASSERT_EQ(x0, SDEI_RET_NOT_SUPPORTED);
}

static void handler(struct sdei_entry_regs *regs)
{
	uint64_t rng = regs->x[2] | 1;
	uint32_t fn;
	int i;

	__atomic_add_fetch(&deliveries[guest_mpidr() & 0xff], 1, __ATOMIC_RELAXED);
	for (i = 0; i < 4; i++)
		random_call(&rng, true, &fn);
}

static void guest_code(uint64_t index)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (index + 1);
	int i;

	for (i = 0; i < CALLS; i++) {
		uint32_t fn;
		uint64_t x0 = random_call(&rng, false, &fn);

		check_answer(fn, x0);
		/* Re-arm now and then, so that events keep flowing. */
		if (i % 64 == 0) {
			sdei(SDEI_FN_REGISTER, SDEI_EV_SW, (uint64_t)sdei_entry, 0, 0, 0);
			sdei(SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, 0, 0, 0);
			sdei(SDEI_FN_ENABLE, SDEI_EV_SW);
			sdei(SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
			sdei(SDEI_FN_PE_UNMASK);
			sdei(SDEI_FN_SIGNAL, SDEI_EV_SW, (index + 1) % NR_VCPUS);
		}
	}
	GUEST_DONE();
}

static volatile bool done;

static void *inject_thread(void *arg)
{
	struct kvm_vcpu **vcpus = arg;
	uint64_t rng = 12345;
	int n, err;

	for (n = 0; n < INJECTIONS && !done; n++) {
		err = sdei_inject_fd(vcpus[next(&rng) % NR_VCPUS]->fd,
				     KVM_ARM_SDEI_ASYNC_PF_EVENT);
		TEST_ASSERT(!err || err == EAGAIN, "inject: %s", strerror(err));
		usleep(200);
	}
	return NULL;
}

int main(void)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t injector;
	uint64_t total = 0;
	struct kvm_vm *vm;
	int i;

	ksft_print_header();
	ksft_set_plan(1);

	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	sdei_set_handler(vm, handler);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_args_set(vcpus[i], 1, i);
	pthread_create(&injector, NULL, inject_thread, vcpus);
	sdei_run_vcpus(vcpus, NR_VCPUS, 300);
	done = true;
	pthread_join(injector, NULL);

	sync_global_from_guest(vm, deliveries);
	for (i = 0; i < NR_VCPUS; i++)
		total += deliveries[i];
	TEST_ASSERT(total > 0, "no event was delivered: the stress did not reach delivery");
	kvm_vm_free(vm);
	ksft_test_result_pass("%d vCPUs x %d random calls, %lu deliveries\n",
			      NR_VCPUS, CALLS, total);
	ksft_finished();
}
