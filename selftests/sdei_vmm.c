// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_vmm - what the VMM controls: the KVM_REG_ARM_STD_BMAP bit, the
 * SMCCC filter, and the provider module's lifetime.
 *
 * - With the SDEI bit cleared before the VM runs, every SDEI function ID
 *   returns NOT_SUPPORTED, over HVC and SMC; the bit cannot change once
 *   the VM has run (EBUSY), while writing back its value succeeds.
 * - The SMCCC filter wins over the provider: DENY gives NOT_SUPPORTED,
 *   FWD_TO_USER a KVM_EXIT_HYPERCALL.
 * - Hidden means absent to the guest, and the register list never moves:
 *   the SDEI registers stay listed, at their reset values, taking no other
 *   value (EINVAL), and the host cannot inject (ENODEV). Register by
 *   register, it is the VM a host without the module gives (compared once
 *   the module is unloaded), and its registers restore into that VM.
 * - A restore the way QEMU does it, which hides SDEI between two vCPUs'
 *   registers (a VM from a host without the provider), writes every
 *   register each vCPU listed.
 * - The module cannot be unloaded while a VM that has SDEI exists; once
 *   the VM is gone it can, new VMs then have no SDEI, and after reloading
 *   (from the path given as argument) new VMs have SDEI again.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sdei.h"
#include "test_util.h"

static void guest_all_not_supported(void)
{
	uint32_t fn;

	for (fn = SDEI_FN(0); fn <= SDEI_FN(0x1f); fn++) {
		GUEST_ASSERT_EQ(sdei_call(SDEI_HVC, fn, 0, 0, 0, 0, 0), NOT_SUPPORTED);
		GUEST_ASSERT_EQ(sdei_call(SDEI_SMC, fn, 0, 0, 0, 0, 0), NOT_SUPPORTED);
	}
	GUEST_DONE();
}

static void guest_version(void)
{
	CHECK(SDEI_EXPECTED_VERSION, SDEI_FN_VERSION);
	GUEST_DONE();
}

static void set_bmap_bit(struct kvm_vcpu *vcpu, bool on, int want_errno)
{
	uint64_t bmap;
	int r;

	bmap = vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP);
	bmap = on ? bmap | BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1) :
		    bmap & ~BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1);
	r = __vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, bmap);
	if (want_errno)
		TEST_ASSERT(r && errno == want_errno,
			    "STD_BMAP SDEI bit %d: want %s, got %d/%s", on,
			    strerror(want_errno), r, strerror(errno));
	else
		TEST_ASSERT(!r, "STD_BMAP SDEI bit %d: %s", on, strerror(errno));
}

static void test_hidden(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t bmap;

	vm = vm_create_with_one_vcpu(&vcpu, guest_all_not_supported);
	TEST_ASSERT(sdei_bmap_bit(vcpu), "a VM created with the provider offers SDEI");
	set_bmap_bit(vcpu, false, 0);
	TEST_ASSERT(!sdei_bmap_bit(vcpu), "the SDEI bit did not clear");
	sdei_run_to_done(vcpu);

	/* Frozen once the VM ran, but the current value can be written back. */
	set_bmap_bit(vcpu, true, EBUSY);
	bmap = vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP);
	vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, bmap);
	kvm_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, guest_version);
	sdei_run_to_done(vcpu);
	set_bmap_bit(vcpu, false, EBUSY);
	kvm_vm_free(vm);
	ksft_test_result_pass("hidden through KVM_REG_ARM_STD_BMAP; EBUSY after the first run\n");
}

/* A VM's registers, as a VMM saves them. */
struct saved_regs {
	struct kvm_reg_list *list;
	uint64_t *vals;
};

static struct saved_regs hidden;

/* Registers whose values differ between any two VMs. */
static bool varies_per_vm(uint64_t id)
{
	return id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT;
}

static struct saved_regs save_regs(struct kvm_vcpu *vcpu)
{
	struct saved_regs s = { .list = vcpu_get_reg_list(vcpu) };
	uint64_t i;

	s.vals = calloc(s.list->n, sizeof(*s.vals));
	TEST_ASSERT(s.vals, "out of memory");
	for (i = 0; i < s.list->n; i++) {
		/* 64-bit and smaller registers only: SVE is not configured. */
		if (KVM_REG_SIZE(s.list->reg[i]) <= sizeof(uint64_t))
			TEST_ASSERT(!__vcpu_get_reg(vcpu, s.list->reg[i], &s.vals[i]),
				    "reading %#llx", s.list->reg[i]);
	}
	return s;
}

static void test_hidden_is_absent(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_all_not_supported);
	set_bmap_bit(vcpu, false, 0);
	hidden = save_regs(vcpu);
	sdei_assert_reset_regs(vcpu, "SDEI hidden");
	TEST_ASSERT_EQ(sdei_inject(vm, vcpu->id, KVM_ARM_SDEI_ASYNC_PF_EVENT), ENODEV);
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("hidden SDEI: registers at reset (EINVAL otherwise), no injection (ENODEV)\n");
}

/*
 * QEMU's restore: each vCPU's list is read at creation, then each vCPU's
 * registers are written in index order. The SDEI registers sort before
 * KVM_REG_ARM_STD_BMAP, so restoring a bitmap without the SDEI bit hides
 * SDEI after vCPU 0's SDEI registers and before vCPU 1's.
 */
static void test_restore_hiding_midway(void)
{
	struct kvm_reg_list *lists[2];
	struct kvm_vcpu *vcpus[2];
	uint64_t bmap, val, i;
	struct kvm_vm *vm;
	int v;

	vm = vm_create_with_vcpus(2, guest_all_not_supported, vcpus);
	bmap = vcpu_get_reg(vcpus[0], KVM_REG_ARM_STD_BMAP) & ~BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1);
	for (v = 0; v < 2; v++)
		lists[v] = vcpu_get_reg_list(vcpus[v]);
	for (v = 0; v < 2; v++) {
		for (i = 0; i < lists[v]->n; i++) {
			uint64_t id = lists[v]->reg[i];

			if (KVM_REG_SIZE(id) > sizeof(val))
				continue;
			if (id == KVM_REG_ARM_STD_BMAP)
				val = bmap;
			else
				TEST_ASSERT(!__vcpu_get_reg(vcpus[v], id, &val),
					    "vCPU %d: reading listed %#lx: %s", v, id, strerror(errno));
			TEST_ASSERT(!__vcpu_set_reg(vcpus[v], id, val),
				    "vCPU %d: restoring listed %#lx: %s", v, id, strerror(errno));
		}
	}
	for (v = 0; v < 2; v++) {
		struct kvm_reg_list *now = vcpu_get_reg_list(vcpus[v]);

		TEST_ASSERT(now->n == lists[v]->n &&
			    !memcmp(now->reg, lists[v]->reg, now->n * sizeof(now->reg[0])),
			    "vCPU %d: hiding SDEI changed the register list", v);
		free(now);
		free(lists[v]);
		sdei_run_to_done(vcpus[v]);
	}
	kvm_vm_free(vm);
	ksft_test_result_pass("a restore that hides SDEI midway writes every listed register\n");
}

/* With the module unloaded: the hidden VM is the VM this host gives. */
static void compare_with_hidden(struct kvm_vcpu *vcpu)
{
	struct saved_regs bare = save_regs(vcpu);
	uint64_t i;

	TEST_ASSERT_EQ(bare.list->n, hidden.list->n);
	for (i = 0; i < bare.list->n; i++) {
		uint64_t id = bare.list->reg[i];

		TEST_ASSERT(id == hidden.list->reg[i],
			    "register %lu: %#lx without the module, %#llx hidden", i, id,
			    hidden.list->reg[i]);
		if (varies_per_vm(id) || KVM_REG_SIZE(id) > sizeof(uint64_t))
			continue;
		TEST_ASSERT(bare.vals[i] == hidden.vals[i],
			    "register %#lx: %#lx without the module, %#lx hidden", id,
			    bare.vals[i], hidden.vals[i]);
		/* And what the hidden VM saved restores here. */
		vcpu_set_reg(vcpu, id, hidden.vals[i]);
	}
	free(bare.list);
	free(bare.vals);
	free(hidden.list);
	free(hidden.vals);
	ksft_test_result_pass("hidden SDEI is, register by register, a host without the module\n");
}

static void test_filter(enum kvm_smccc_filter_action action)
{
	struct kvm_smccc_filter filter = {
		.base = SDEI_FN(0),
		.nr_functions = 32,
		.action = action,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, action == KVM_SMCCC_FILTER_DENY ?
				     guest_all_not_supported : guest_version);
	kvm_device_attr_set(vm->fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER,
			    &filter);
	if (action == KVM_SMCCC_FILTER_DENY) {
		sdei_run_to_done(vcpu);
		ksft_test_result_pass("an SMCCC filter denying SDEI wins\n");
	} else {
		vcpu_run(vcpu);
		TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_HYPERCALL,
			    "want KVM_EXIT_HYPERCALL, got %s",
			    exit_reason_str(vcpu->run->exit_reason));
		TEST_ASSERT_EQ(vcpu->run->hypercall.nr, SDEI_FN_VERSION);
		ksft_test_result_pass("an SMCCC filter forwarding SDEI wins\n");
	}
	kvm_vm_free(vm);
}

static void test_module_lifetime(const char *module_path)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_version);
	r = syscall(SYS_delete_module, "kvm_sdei", O_NONBLOCK);
	TEST_ASSERT(r && (errno == EBUSY || errno == EWOULDBLOCK),
		    "rmmod with a VM alive: want EBUSY, got %d/%s", r, strerror(errno));
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);

	r = syscall(SYS_delete_module, "kvm_sdei", O_NONBLOCK);
	TEST_ASSERT(!r, "rmmod once the VM is gone: %s", strerror(errno));

	vm = vm_create_with_one_vcpu(&vcpu, guest_all_not_supported);
	TEST_ASSERT(!sdei_bmap_bit(vcpu), "SDEI offered without a provider");
	compare_with_hidden(vcpu);
	set_bmap_bit(vcpu, true, EINVAL);
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);

	fd = open(module_path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s: %s", module_path, strerror(errno));
	r = syscall(SYS_finit_module, fd, "", 0);
	TEST_ASSERT(!r, "reloading %s: %s", module_path, strerror(errno));
	close(fd);

	vm = vm_create_with_one_vcpu(&vcpu, guest_version);
	TEST_ASSERT(sdei_bmap_bit(vcpu), "SDEI not offered after reloading");
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("rmmod refused while a VM has SDEI; unload and reload\n");
}

int main(int argc, char *argv[])
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_DEVICE_CTRL));
	TEST_ASSERT(argc == 2, "usage: %s <path of kvm_sdei.ko>", argv[0]);

	ksft_print_header();
	ksft_set_plan(7);
	test_hidden();
	test_hidden_is_absent();
	test_restore_hiding_midway();
	test_filter(KVM_SMCCC_FILTER_DENY);
	test_filter(KVM_SMCCC_FILTER_FWD_TO_USER);
	test_module_lifetime(argv[1]);
	ksft_finished();
}
