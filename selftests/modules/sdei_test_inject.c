// SPDX-License-Identifier: GPL-2.0
/*
 * A synthetic host event source for the SDEI selftests, in place of the
 * debugfs hook v1 of the series carried. It is no part of the series.
 *
 * The SDEI_TEST_INJECT ioctl on /dev/sdei_test_inject takes a vCPU file
 * descriptor and an event number, and raises the event on that vCPU with
 * kvm_sdei_inject_event(), as KVM's own event sources do. It answers what
 * that answered: 0, -ENODEV, -ENOENT or -EAGAIN; -EBADF or -EINVAL if the
 * descriptor is not a KVM vCPU's.
 */

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <kvm/arm_sdei.h>

/* The ioctl's argument; the selftests' sdei.h has the same layout. */
struct sdei_test_inject {
	__s32 vcpu_fd;
	__u32 event;
};

#define SDEI_TEST_INJECT	_IOW('S', 0x01, struct sdei_test_inject)

/* KVM names each vCPU file "kvm-vcpu:<id>" (create_vcpu_fd()). */
static bool is_kvm_vcpu_file(struct file *file)
{
	return str_has_prefix(file_dentry(file)->d_name.name, "kvm-vcpu:");
}

static long sdei_test_inject_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct sdei_test_inject req;

	if (cmd != SDEI_TEST_INJECT)
		return -ENOTTY;
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;

	CLASS(fd, vcpu_file)(req.vcpu_fd);
	if (fd_empty(vcpu_file))
		return -EBADF;
	if (!is_kvm_vcpu_file(fd_file(vcpu_file)))
		return -EINVAL;

	/* The open vCPU file keeps the vCPU and its VM alive meanwhile. */
	return kvm_sdei_inject_event(fd_file(vcpu_file)->private_data,
				     req.event);
}

static const struct file_operations sdei_test_inject_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= sdei_test_inject_ioctl,
};

static struct miscdevice sdei_test_inject_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "sdei_test_inject",
	.fops	= &sdei_test_inject_fops,
	.mode	= 0600,
};

module_misc_device(sdei_test_inject_dev);
MODULE_DESCRIPTION("A synthetic SDEI event source for the SDEI selftests");
MODULE_LICENSE("GPL");
