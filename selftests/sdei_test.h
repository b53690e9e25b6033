/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kvm-sdei tests outside the series add to the series' SDEI
 * selftest library (tools/testing/selftests/kvm/include/arm64/sdei.h): a
 * synthetic event source, modules/sdei_test_inject.ko, whose ioctl calls
 * kvm_sdei_inject_event() on a vCPU's fd.
 */
#ifndef KVM_SDEI_TEST_H
#define KVM_SDEI_TEST_H

#include <fcntl.h>
#include <unistd.h>

#include "sdei.h"

struct sdei_test_inject {
	s32 vcpu_fd;
	u32 event;
};

#define SDEI_TEST_INJECT	_IOW('S', 0x01, struct sdei_test_inject)

/* Raises @event on the vCPU whose fd is @vcpu_fd; returns 0 or the errno. */
static inline int sdei_inject_fd(int vcpu_fd, u32 event)
{
	struct sdei_test_inject req = { .vcpu_fd = vcpu_fd, .event = event };
	int fd, err = 0;

	fd = open("/dev/sdei_test_inject", O_RDWR);
	TEST_ASSERT(fd >= 0, "open /dev/sdei_test_inject (sdei_test_inject.ko loaded?): %s",
		    strerror(errno));
	if (ioctl(fd, SDEI_TEST_INJECT, &req))
		err = errno;
	close(fd);
	return err;
}

/* Raises @event on vCPU @vcpu_id of @vm; returns 0 or the errno. */
static inline int sdei_inject(struct kvm_vm *vm, u32 vcpu_id, u32 event)
{
	struct kvm_vcpu *vcpu;

	list_for_each_entry(vcpu, &vm->vcpus, list) {
		if (vcpu->id == vcpu_id)
			return sdei_inject_fd(vcpu->fd, event);
	}
	TEST_FAIL("no vCPU %u", vcpu_id);
	return 0;
}

#endif /* KVM_SDEI_TEST_H */
