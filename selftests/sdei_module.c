// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_module - the provider module's lifetime under a VMM.
 *
 * - A VM with SDEI and async PF hidden takes no injection (ENODEV), and
 *   is, register by register, the VM a host without the module gives: compared once the
 *   module is unloaded, and its registers restore into that VM.
 * - The module cannot be unloaded while a VM that has SDEI exists; once
 *   the VM is gone it can, new VMs then have no SDEI, and after reloading
 *   (from the path given as argument) new VMs have SDEI again.
 *
 * KVM's side of hiding SDEI is tools/testing/selftests/kvm/arm64/sdei_vmm.c
 * in the series.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sdei_test.h"
#include "test_util.h"

static void guest_all_not_supported(void)
{
	uint32_t fn;

	for (fn = SDEI_FN(0); fn <= SDEI_FN(0x1f); fn++) {
		GUEST_ASSERT_EQ(sdei_call(SDEI_HVC, fn, 0, 0, 0, 0, 0), SDEI_RET_NOT_SUPPORTED);
		GUEST_ASSERT_EQ(sdei_call(SDEI_SMC, fn, 0, 0, 0, 0, 0), SDEI_RET_NOT_SUPPORTED);
	}
	GUEST_DONE();
}

static void guest_version(void)
{
	SDEI_CHECK(SDEI_EXPECTED_VERSION, SDEI_FN_VERSION);
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

static void test_hidden_no_injection(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_all_not_supported);
	set_bmap_bit(vcpu, false, 0);
	/* And async PF (patch 10), which a host without the module lacks too. */
	vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP_2,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP_2) & ~BIT(2));
	hidden = save_regs(vcpu);
	TEST_ASSERT_EQ(sdei_inject(vm, vcpu->id, KVM_ARM_SDEI_ASYNC_PF_EVENT), ENODEV);
	sdei_run_to_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("hidden SDEI takes no injection (ENODEV)\n");
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
	TEST_ASSERT(argc == 2, "usage: %s <path of kvm_sdei.ko>", argv[0]);
	sdei_require();

	ksft_print_header();
	ksft_set_plan(3);
	test_hidden_no_injection();
	test_module_lifetime(argv[1]);
	ksft_finished();
}
