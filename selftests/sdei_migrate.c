// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_migrate - SDEI state moves with the vCPU's firmware registers.
 *
 * - KVM_GET_REG_LIST lists the 25 SDEI registers with their reset values,
 *   numbered as Documentation/vmm-abi.rst says: STATUS 0x100, the context
 *   0x110-0x123, then 0x10 per event slot from 0x140; the reserved numbers
 *   between do not exist (ENOENT).
 * - A guest is migrated, as a VMM that knows nothing of SDEI would do it
 *   (guest memory and every listed register, in list order or shuffled,
 *   into a fresh VM), at each instant: nothing registered, events ready,
 *   a signal pending, a handler running, an unregister pending. After each
 *   it goes on and checks it behaves as without migration: CONTEXT is the
 *   same, COMPLETE returns to the same place with the same registers, a
 *   pending event is delivered once.
 * - Register values hold only what the guest wrote and documented bits.
 * - Invalid STATUS values and context PSTATEs get EINVAL and change
 *   nothing; after the VM ran, SET of the value GET returned succeeds.
 */
#include <fcntl.h>
#include <unistd.h>

#include "sdei.h"
#include "test_util.h"

/* STATUS: per event a byte of SDEI_EVENT_STATUS bits and pending. */
#define ST_EV(e, bits)	((uint64_t)(bits) << (8 * ((e) + 1)))
#define ST_REG		1
#define ST_EN		2
#define ST_RUN		4
#define ST_PEND		8

#define ARG0		0x5d0000a0
#define ARG1		0x5d0000a1
#define PATTERN(n)	SDEI_PATTERN(n)

enum stage { FRESH, READY, PENDING_SIGNAL, RUNNING, UNREGISTERING, DONE };

SDEI_DEFINE_HANDLER_ENTRY();

uint64_t after[19];

SDEI_DEFINE_SIGNAL_WITH_PATTERN();

static uint64_t sw_entries, apf_entries;
static volatile bool unregister_in_handler;

static void handler(struct sdei_entry_regs *regs)
{
	int n;

	if (regs->x[0] == SDEI_EV_ASYNC_PF) {
		GUEST_ASSERT_EQ(regs->x[1], ARG1);
		apf_entries++;
		return;
	}
	GUEST_ASSERT_EQ(regs->x[1], ARG0);
	sw_entries++;
	if (unregister_in_handler)
		CHECK(PENDING, SDEI_FN_UNREGISTER, SDEI_EV_SW);
	GUEST_SYNC(unregister_in_handler ? UNREGISTERING : RUNNING);
	/* Maybe on another VM now: the context must be the same. */
	GUEST_ASSERT_EQ(regs->x[2], (uint64_t)sdei_after_signal);
	for (n = 3; n < 18; n++)
		CHECK(PATTERN(n), SDEI_FN_CONTEXT, n);
	CHECK(0, SDEI_FN_CONTEXT, 0);
}

static void check_after(void)
{
	int n;

	GUEST_ASSERT_EQ(after[0], 0);
	GUEST_ASSERT_EQ(after[2], guest_mpidr());
	for (n = 3; n < 18; n++)
		GUEST_ASSERT_EQ(after[n], PATTERN(n));
}

static void guest_code(void)
{
	GUEST_SYNC(FRESH);
	CHECK(0, SDEI_FN_STATUS, SDEI_EV_SW);
	CHECK(0, SDEI_FN_PE_MASK);
	sdei_ready(SDEI_EV_SW, ARG0);
	CHECK(0, SDEI_FN_REGISTER, SDEI_EV_ASYNC_PF, (uint64_t)sdei_entry, ARG1, 0, 0);
	CHECK(0, SDEI_FN_ENABLE, SDEI_EV_ASYNC_PF);
	GUEST_SYNC(READY);

	/* The host raises the async PF event, then migrates. */
	GUEST_SYNC(PENDING_SIGNAL);
	GUEST_ASSERT_EQ(apf_entries, 1);

	signal_with_pattern(guest_mpidr(), after);
	check_after();
	GUEST_ASSERT_EQ(sw_entries, 1);
	CHECK(SDEI_ST_REGISTERED | SDEI_ST_ENABLED, SDEI_FN_STATUS, SDEI_EV_SW);

	unregister_in_handler = true;
	signal_with_pattern(guest_mpidr(), after);
	check_after();
	GUEST_ASSERT_EQ(sw_entries, 2);
	CHECK(0, SDEI_FN_STATUS, SDEI_EV_SW);
	GUEST_ASSERT_EQ(apf_entries, 1);
	GUEST_SYNC(DONE);
	GUEST_DONE();
}

static uint64_t get(struct kvm_vcpu *vcpu, uint64_t id)
{
	return vcpu_get_reg(vcpu, id);
}

static void check_reg_list(struct kvm_vcpu *vcpu)
{
	static const uint64_t reserved[] = { 0x101, 0x10f, 0x124, 0x13f, 0x142, 0x160, 0x1ff };
	struct kvm_reg_list *list = vcpu_get_reg_list(vcpu);
	uint64_t want[NR_SDEI_REGS], val;
	int found = 0, i;

	sdei_reg_ids(want);

	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];

		if (!IS_SDEI_REG(id))
			continue;
		TEST_ASSERT(found < NR_SDEI_REGS && id == want[found],
			    "SDEI register %d is %#lx", found, id);
		TEST_ASSERT_EQ(get(vcpu, id), id == REG_STATUS ? ST_MASKED : 0);
		found++;
	}
	TEST_ASSERT_EQ(found, NR_SDEI_REGS);

	/* Only the 64-bit ID names a register: KVM checks before the provider. */
	for (i = 0; i < 2; i++) {
		uint64_t size = i ? KVM_REG_SIZE_U128 : KVM_REG_SIZE_U32;
		uint64_t id = KVM_REG_ARM64 | size | KVM_REG_ARM_FW | 0x100, big[2];

		TEST_ASSERT(__vcpu_get_reg(vcpu, id, big) && errno == ENOENT,
			    "GET of %#lx must fail with ENOENT", id);
		TEST_ASSERT(__vcpu_set_reg(vcpu, id, 1) && errno == ENOENT,
			    "SET of %#lx must fail with ENOENT", id);
	}
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		uint64_t id = KVM_REG_ARM_FW_REG(reserved[i]);

		TEST_ASSERT(__vcpu_get_reg(vcpu, id, &val) && errno == ENOENT,
			    "reserved register %#lx must not exist", id);
		TEST_ASSERT(__vcpu_set_reg(vcpu, id, 0) && errno == ENOENT,
			    "reserved register %#lx must not exist", id);
	}
	free(list);
}

/*
 * Copies guest memory. The selftest library keeps host addresses of its
 * ucall structures in guest memory (ucall.hva): where the source held such
 * a pointer into its own memory and the destination the equivalent one,
 * the destination keeps its own. A real guest holds no host pointers.
 */
static void copy_guest_memory(struct userspace_mem_region *from,
			      struct userspace_mem_region *to)
{
	uint64_t size = from->region.memory_size, words = size / 8, w;
	uint64_t src_base = (uint64_t)from->host_mem, dst_base = (uint64_t)to->host_mem;
	uint64_t *src = from->host_mem, *dst = to->host_mem;
	uint64_t *before = malloc(size);

	TEST_ASSERT(before && to->region.memory_size == size, "memslot 0 differs");
	memcpy(before, dst, size);
	memcpy(dst, src, size);
	for (w = 0; w < words; w++) {
		if (src[w] - src_base < size && before[w] - dst_base == src[w] - src_base)
			dst[w] = before[w];
	}
	free(before);
}

/* What a VMM that knows nothing of SDEI does, into a fresh VM. */
static struct kvm_vm *migrate(struct kvm_vm *src, struct kvm_vcpu **vcpu, bool shuffle)
{
	struct userspace_mem_region *from, *to;
	struct kvm_reg_list *list;
	struct kvm_vcpu *dst_vcpu;
	struct kvm_vm *dst;
	uint64_t i, j, tmp;

	/* As a VMM does: finish the MMIO the vCPU exited on (the ucall). */
	vcpu_run_complete_io(*vcpu);
	list = vcpu_get_reg_list(*vcpu);

	dst = vm_create_with_one_vcpu(&dst_vcpu, guest_code);
	from = memslot2region(src, 0);
	to = memslot2region(dst, 0);
	copy_guest_memory(from, to);

	for (i = list->n - 1; shuffle && i > 0; i--) {
		j = random() % (i + 1);
		tmp = list->reg[i];
		list->reg[i] = list->reg[j];
		list->reg[j] = tmp;
	}
	for (i = 0; i < list->n; i++) {
		/* Registers come in every size up to 2048 bits (SVE). */
		uint8_t val[256], cur[256];
		uint64_t id = list->reg[i];
		struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)val };

		TEST_ASSERT(KVM_REG_SIZE(id) <= sizeof(val), "register %#lx too large", id);
		TEST_ASSERT(!__vcpu_get_reg(*vcpu, id, val), "reading %#lx", id);
		TEST_ASSERT(!__vcpu_get_reg(dst_vcpu, id, cur), "reading %#lx", id);
		if (!memcmp(val, cur, KVM_REG_SIZE(id)))
			continue;
		TEST_ASSERT(!__vcpu_ioctl(dst_vcpu, KVM_SET_ONE_REG, &reg),
			    "restoring %#lx: %s", id, strerror(errno));
	}
	free(list);
	kvm_vm_free(src);
	*vcpu = dst_vcpu;
	return dst;
}

static void inject_async_pf(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	int err = sdei_inject(vm, vcpu->id, KVM_ARM_SDEI_ASYNC_PF_EVENT);

	TEST_ASSERT(!err, "inject: %s", strerror(err));
}

/* Values hold only what the guest wrote, and documented bits. */
static void check_values(struct kvm_vcpu *vcpu, enum stage stage)
{
	uint64_t status = get(vcpu, REG_STATUS);

	switch (stage) {
	case FRESH:
		TEST_ASSERT_EQ(status, ST_MASKED);
		break;
	case READY:
		TEST_ASSERT_EQ(status, ST_EV(0, ST_REG | ST_EN) | ST_EV(1, ST_REG | ST_EN));
		TEST_ASSERT_EQ(get(vcpu, REG_ENTRY(0)), (uint64_t)sdei_entry);
		TEST_ASSERT_EQ(get(vcpu, REG_ARG(0)), ARG0);
		TEST_ASSERT_EQ(get(vcpu, REG_ENTRY(1)), (uint64_t)sdei_entry);
		TEST_ASSERT_EQ(get(vcpu, REG_ARG(1)), ARG1);
		break;
	case PENDING_SIGNAL:
		TEST_ASSERT_EQ(status, ST_EV(0, ST_REG | ST_EN) |
				       ST_EV(1, ST_REG | ST_EN | ST_PEND));
		break;
	case RUNNING:
	case UNREGISTERING:
		TEST_ASSERT_EQ(status, ST_EV(0, stage == RUNNING ? ST_REG | ST_EN | ST_RUN :
						 ST_RUN) |
				       ST_EV(1, ST_REG | ST_EN));
		for (int n = 3; n < 18; n++)
			TEST_ASSERT_EQ(get(vcpu, REG_CTX_X(n)), PATTERN(n));
		TEST_ASSERT_EQ(get(vcpu, REG_CTX_PC), (uint64_t)sdei_after_signal);
		TEST_ASSERT_EQ(get(vcpu, REG_CTX_PSTATE) & 0x1f, PSR_EL1H);
		break;
	case DONE:
		TEST_ASSERT_EQ(status, ST_EV(1, ST_REG | ST_EN));
		break;
	}
}

static void check_invalid_values(struct kvm_vcpu *vcpu)
{
	static const uint64_t bad_status[] = {
		1ULL << 1, 1ULL << 7, 1ULL << 12, 1ULL << 24, 1ULL << 63,
		ST_EV(0, ST_EN), ST_EV(0, ST_EN | ST_RUN), ST_EV(0, ST_PEND),
		ST_EV(0, ST_RUN | ST_PEND),
		ST_EV(0, ST_REG | ST_RUN) | ST_EV(1, ST_REG | ST_RUN),
		ST_EV(0, ST_RUN) | ST_EV(1, ST_RUN),
	};
	/*
	 * Modes no vCPU of this VM runs; then, with a valid mode, a RES0 bit,
	 * ALLINT and bit 32, which only KVM's own check refuses (patch 5).
	 */
	static const uint64_t bad_pstate[] = {
		0x9, 0x8, 0xd, 0x13, 0x1a, 0x1,
		0x3c5 | 1ULL << 26, 0x3c5 | 1ULL << 13, 0x3c5 | 1ULL << 32,
	};
	uint64_t status = get(vcpu, REG_STATUS), pstate = get(vcpu, REG_CTX_PSTATE);
	int i;

	for (i = 0; i < ARRAY_SIZE(bad_status); i++) {
		TEST_ASSERT(__vcpu_set_reg(vcpu, REG_STATUS, bad_status[i]) && errno == EINVAL,
			    "STATUS %#lx: want EINVAL, got %s", bad_status[i], strerror(errno));
		TEST_ASSERT_EQ(get(vcpu, REG_STATUS), status);
	}
	for (i = 0; i < ARRAY_SIZE(bad_pstate); i++) {
		TEST_ASSERT(__vcpu_set_reg(vcpu, REG_CTX_PSTATE, bad_pstate[i]) &&
			    errno == EINVAL, "context PSTATE %#lx: want EINVAL", bad_pstate[i]);
		TEST_ASSERT_EQ(get(vcpu, REG_CTX_PSTATE), pstate);
	}
}

static bool restore_shuffled;

/* At each instant: check what the registers say, then migrate. */
static void at_stage(struct kvm_vcpu **vcpu, uint64_t stage)
{
	int i;

	if (stage == PENDING_SIGNAL)
		inject_async_pf((*vcpu)->vm, *vcpu);
	check_values(*vcpu, stage);
	if (stage == DONE) {
		/* After the VM ran, GET's values go back in. */
		struct kvm_reg_list *list = vcpu_get_reg_list(*vcpu);

		for (i = 0; i < list->n; i++)
			if (IS_SDEI_REG(list->reg[i]))
				vcpu_set_reg(*vcpu, list->reg[i], get(*vcpu, list->reg[i]));
		free(list);
		check_invalid_values(*vcpu);
	}
	migrate((*vcpu)->vm, vcpu, restore_shuffled);
}

static void run(bool shuffled)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	restore_shuffled = shuffled;
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sdei_set_handler(vm, handler);
	check_reg_list(vcpu);

	sdei_run_syncs(&vcpu, at_stage);
	kvm_vm_free(vcpu->vm);
	ksft_test_result_pass("migrated at every instant, registers restored %s\n",
			      shuffled ? "in a shuffled order" : "in list order");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	srandom(1);
	run(false);
	run(true);
	ksft_finished();
}
