// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_scale - SDEI on as many vCPUs as KVM allows, and what it costs.
 *
 * For 1, 64 and the maximum number of vCPUs (KVM_CAP_MAX_VCPUS, 512 with
 * GICv3), or the ring size given as argument (make test runs 128; the
 * 512-vCPU ring takes minutes under TCG and runs in make bench): every
 * vCPU registers, enables and unmasks, then signals the next vCPU in a
 * ring; every vCPU must take exactly one event.
 *
 * It also measures, exactly, the memory the provider holds while a VM of
 * N vCPUs exists (slub_debug=U allocation tracking): it must be one
 * kmalloc-256 object (the 218-byte state) per vCPU and nothing else,
 * whatever N: nothing is sized by the vCPU count, nothing is per VM.
 */
#include <dirent.h>

#include "sdei.h"
#include "test_util.h"

#define MAX_TESTED	512

static uint64_t nr_vcpus;
static uint64_t ready;
static uint64_t deliveries[MAX_TESTED];

static void handler(struct sdei_entry_regs *regs)
{
	GUEST_ASSERT_EQ(regs->x[0], SDEI_EV_SW);
	__atomic_add_fetch(&deliveries[regs->x[1]], 1, __ATOMIC_RELEASE);
}

static void guest_code(uint64_t index, uint64_t next_mpidr)
{
	sdei_ready(SDEI_EV_SW, index);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	/* Everyone must be ready before anyone signals; WFE yields. */
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < nr_vcpus)
		asm volatile("wfe");
	SDEI_CHECK(0, SDEI_FN_SIGNAL, SDEI_EV_SW, next_mpidr);
	while (!__atomic_load_n(&deliveries[index], __ATOMIC_ACQUIRE))
		asm volatile("wfe");
	GUEST_DONE();
}

/*
 * Live bytes the provider module allocated, exactly: the kernel runs with
 * slub_debug=U, so every cache's alloc_traces (in debugfs) lists its live
 * objects by allocation stack: a count line, then the stack. A stack with
 * a frame in [kvm_sdei] is ours.
 */
static long provider_bytes(void)
{
	char path[512], line[512];
	struct dirent *cache;
	long total = 0;
	DIR *dir = opendir("/sys/kernel/debug/slab");

	TEST_ASSERT(dir, "/sys/kernel/debug/slab (slub_debug=U?): %s", strerror(errno));
	while ((cache = readdir(dir))) {
		long count, object_size = 0;
		FILE *f;

		if (cache->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size", cache->d_name);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%ld", &object_size) != 1)
			object_size = 0;
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/sys/kernel/debug/slab/%s/alloc_traces",
			 cache->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		count = 0;
		while (fgets(line, sizeof(line), f)) {
			long n;

			if (sscanf(line, "%ld", &n) == 1)
				count = n;	/* a new stack */
			else if (strstr(line, "[kvm_sdei]") && count) {
				total += count * object_size;
				count = 0;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return total;
}

/* Bytes the provider holds while a VM of @n vCPUs exists. */
static long vm_bytes(int n)
{
	struct kvm_vcpu **vcpus = calloc(n, sizeof(*vcpus));
	long before, after;
	struct kvm_vm *vm;

	before = provider_bytes();
	vm = vm_create_with_vcpus(n, guest_code, vcpus);
	after = provider_bytes();
	kvm_vm_free(vm);
	free(vcpus);
	TEST_ASSERT_EQ(provider_bytes(), before);	/* and all of it is freed */
	return after - before;
}

static void run_ring(int n)
{
	struct kvm_vcpu **vcpus = calloc(n, sizeof(*vcpus));
	struct kvm_vm *vm;
	uint64_t mpidr;
	int i;

	vm = vm_create_with_vcpus(n, guest_code, vcpus);
	nr_vcpus = n;
	sync_global_to_guest(vm, nr_vcpus);
	sdei_set_handler(vm, handler);
	for (i = 0; i < n; i++) {
		mpidr = vcpu_get_reg(vcpus[(i + 1) % n], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1));
		vcpu_args_set(vcpus[i], 2, i, mpidr & MPIDR_HWID_BITMASK);
	}
	sdei_run_vcpus(vcpus, n, 900);

	sync_global_from_guest(vm, deliveries);
	for (i = 0; i < n; i++)
		TEST_ASSERT(deliveries[i] == 1, "%d vCPUs: vCPU %d took %lu events, want 1",
			    n, i, deliveries[i]);
	kvm_vm_free(vm);
	free(vcpus);
}

int main(int argc, char *argv[])
{
	int sizes[3] = { 1, 64, 0 }, ring_max, i;

	sizes[2] = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	if (sizes[2] > MAX_TESTED)
		sizes[2] = MAX_TESTED;
	ring_max = argc > 1 ? atoi(argv[1]) : sizes[2];

	ksft_print_header();
	ksft_set_plan(4);

	printf("# provider memory while a VM exists (slub_debug=U alloc_traces)\n");
	for (i = 0; i < 3; i++) {
		long bytes = vm_bytes(sizes[i]);

		printf("# %4d vCPUs: %7ld bytes, %ld bytes per vCPU\n", sizes[i], bytes,
		       bytes / sizes[i]);
		TEST_ASSERT(bytes == 256L * sizes[i],
			    "%d vCPUs: %ld bytes, want 256 per vCPU and nothing per VM",
			    sizes[i], bytes);
	}
	ksft_test_result_pass("256 bytes per vCPU at 1, 64 and %d vCPUs, nothing per VM\n",
			      sizes[2]);

	sizes[2] = ring_max < sizes[2] ? ring_max : sizes[2];
	for (i = 0; i < 3; i++) {
		run_ring(sizes[i]);
		ksft_test_result_pass("%d vCPUs: each signalled the next, each took one event\n",
				      sizes[i]);
	}

	ksft_finished();
}
