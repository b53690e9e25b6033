// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_guard - KVM guards the host whatever an SDEI provider does, and
 * tells a VMM whether a VM gets SDEI.
 *
 * Run without kvm_sdei loaded, with the path of sdei_bad_provider.ko, a
 * deliberately broken provider outside the series:
 * - loading it succeeds only if KVM refused every incomplete ops table it
 *   offers first, and a second provider (the module checks that itself);
 * - KVM_CAP_ARM_SDEI is 0 on /dev/kvm and on a VM before the load, 1 on
 *   /dev/kvm and on a new VM after it, and stays 0 on the VM created
 *   before;
 * - each PSTATE or SPSR_EL1 write the provider tries on a guest's SDEI
 *   call is refused with -EINVAL (or, for the two controls, accepted),
 *   and the guest goes on where it was, at EL1, with its DAIF, ELR_EL1
 *   and SPSR_EL1 unchanged (each bad write also moves the PC to 0);
 * - the module unloads once its VMs are gone.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "modules/sdei_bad_provider.h"
#include "sdei.h"
#include "test_util.h"

#ifndef KVM_CAP_ARM_SDEI
#define KVM_CAP_ARM_SDEI 252
#endif

static const char *const write_names[NR_BAD_WRITES] = {
	"PSTATE unchanged", "PSTATE EL2h", "PSTATE EL2t", "PSTATE EL3h",
	"PSTATE reserved mode", "PSTATE AArch32 SVC", "PSTATE RES0 bit 26",
	"PSTATE ALLINT", "PSTATE bit 32", "SPSR_EL1 EL2h",
	"SPSR_EL1 AArch32 SVC", "SPSR_EL1 EL1h",
};

#define EINVAL_X0	((uint64_t)-22)
#define SPSR_BEFORE	0x80000005ULL	/* N set, EL1h */
#define ELR_BEFORE	0x1234ULL
#define CURRENT_EL1	(1ULL << 2)

static void guest_code(void)
{
	uint64_t daif = read_sysreg(daif);
	uint64_t x0, spsr, elr;
	int i;

	for (i = 0; i < NR_BAD_WRITES; i++) {
		write_sysreg(SPSR_BEFORE, spsr_el1);
		write_sysreg(ELR_BEFORE, elr_el1);
		isb();
		x0 = sdei_call(SDEI_HVC, SDEI_FN_VERSION, i, 0, 0, 0, 0);
		spsr = read_sysreg(spsr_el1);
		elr = read_sysreg(elr_el1);
		GUEST_ASSERT_EQ(read_sysreg(CurrentEL), CURRENT_EL1);
		GUEST_ASSERT_EQ(read_sysreg(daif), daif);
		ucall(UCALL_SYNC, 3, x0, spsr, elr);
	}
	GUEST_DONE();
}

static void load(const char *path)
{
	int fd = open(path, O_RDONLY);
	int r;

	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	r = syscall(SYS_finit_module, fd, "", 0);
	TEST_ASSERT(!r, "loading %s (did KVM take a bad ops table? see dmesg): %s",
		    path, strerror(errno));
	close(fd);
}

static void test_writes(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	uint64_t want_x0, want_spsr, want_elr;
	int i;

	for (i = 0; i < NR_BAD_WRITES; i++) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);

		want_x0 = (i == PSTATE_SAME || i == SPSR_EL1_VALID) ? 0 : EINVAL_X0;
		want_spsr = i == SPSR_EL1_VALID ? BAD_PROVIDER_SPSR_WRITTEN : SPSR_BEFORE;
		want_elr = i == SPSR_EL1_VALID ? BAD_PROVIDER_ELR_WRITTEN : ELR_BEFORE;
		TEST_ASSERT(uc.args[0] == want_x0,
			    "%s: KVM answered %ld, want %ld",
			    write_names[i], (long)uc.args[0], (long)want_x0);
		TEST_ASSERT(uc.args[1] == want_spsr,
			    "%s: SPSR_EL1 %#lx, want %#lx",
			    write_names[i], uc.args[1], want_spsr);
		TEST_ASSERT(uc.args[2] == want_elr,
			    "%s: ELR_EL1 %#lx, want %#lx",
			    write_names[i], uc.args[2], want_elr);
		ksft_test_result_pass("%s: %s\n", write_names[i],
				      want_x0 ? "refused, nothing changed" : "accepted");
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu, *early_vcpu;
	struct kvm_vm *vm, *early;
	int r;

	TEST_ASSERT(argc == 2, "usage: %s sdei_bad_provider.ko", argv[0]);
	/* A bad write KVM took sends the guest to PC 0, where it never returns. */
	alarm(120);
	ksft_print_header();
	ksft_set_plan(2 + NR_BAD_WRITES);

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SDEI), 0);
	early = vm_create_with_one_vcpu(&early_vcpu, guest_code);
	TEST_ASSERT_EQ(vm_check_cap(early, KVM_CAP_ARM_SDEI), 0);

	load(argv[1]);
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SDEI), 1);
	TEST_ASSERT_EQ(vm_check_cap(early, KVM_CAP_ARM_SDEI), 0);
	TEST_ASSERT(!sdei_bmap_bit(early_vcpu), "SDEI offered to a VM created before the provider");
	kvm_vm_free(early);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SDEI), 1);
	TEST_ASSERT(sdei_bmap_bit(vcpu), "SDEI not offered with a provider loaded");
	ksft_test_result_pass("KVM_CAP_ARM_SDEI: 0 before the load and for an earlier VM, 1 after\n");

	test_writes(vcpu);
	kvm_vm_free(vm);

	r = syscall(SYS_delete_module, "sdei_bad_provider", O_NONBLOCK);
	TEST_ASSERT(!r, "unloading sdei_bad_provider: %s", strerror(errno));
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SDEI), 0);
	ksft_test_result_pass("the provider unloads once its VMs are gone; the cap reads 0 again\n");
	ksft_finished();
}
