// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken SDEI provider, to show that KVM guards the host
 * whatever a provider does. It is no part of the series: sdei_guard loads
 * it in place of kvm_sdei.
 *
 * At load, it offers KVM ops tables that KVM must refuse (incomplete, or a
 * second provider), and fails to load if one is taken. Registered, it
 * answers each SDEI call by trying the write the guest names in x1, and
 * returns what KVM answered in x0. Each bad write also moves the PC to 0,
 * so that one KVM wrongly took would show at once.
 */

#include <linux/module.h>
#include <linux/slab.h>

#include <kvm/arm_sdei.h>

#include "sdei_bad_provider.h"

static void *bad_vcpu_create(struct kvm_vcpu *vcpu)
{
	return kzalloc(sizeof(u64), GFP_KERNEL_ACCOUNT);
}

static void bad_vcpu_destroy(struct kvm_vcpu *vcpu, void *state)
{
	kfree(state);
}

static void bad_vcpu_reset(struct kvm_vcpu *vcpu, void *state)
{
}

static int bad_try(struct kvm_vcpu *vcpu, u64 which)
{
	u64 pc, pstate;

	kvm_sdei_vcpu_get_pc_pstate(vcpu, &pc, &pstate);

	switch (which) {
	case PSTATE_SAME:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, pc, pstate);
	case PSTATE_EL2H:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, 0x3c9);
	case PSTATE_EL2T:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, 0x3c8);
	case PSTATE_EL3H:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, 0x3cd);
	case PSTATE_RESERVED_MODE:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, 0x3c2);
	case PSTATE_AARCH32_SVC:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, 0x1d3);
	case PSTATE_RES0_BIT_26:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, pstate | BIT_ULL(26));
	case PSTATE_ALLINT:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, pstate | BIT_ULL(13));
	case PSTATE_BIT_32:
		return kvm_sdei_vcpu_set_pc_pstate(vcpu, 0, pstate | BIT_ULL(32));
	case SPSR_EL1_EL2H:
		return kvm_sdei_vcpu_set_elr_spsr_el1(vcpu, 0, 0x3c9);
	case SPSR_EL1_AARCH32_SVC:
		return kvm_sdei_vcpu_set_elr_spsr_el1(vcpu, 0, 0x1d3);
	case SPSR_EL1_VALID:
		return kvm_sdei_vcpu_set_elr_spsr_el1(vcpu, BAD_PROVIDER_ELR_WRITTEN,
						      BAD_PROVIDER_SPSR_WRITTEN);
	default:
		return -ERANGE;
	}
}

static int bad_call(struct kvm_vcpu *vcpu, void *state,
		    struct kvm_sdei_report *report)
{
	u64 x[2];

	kvm_sdei_vcpu_read_gprs(vcpu, x, 2);
	x[0] = (u64)(s64)bad_try(vcpu, x[1]);
	kvm_sdei_vcpu_write_gprs(vcpu, x, 1);
	if (report)
		report->answer = x[0];
	return 1;
}

static void bad_deliver(struct kvm_vcpu *vcpu, void *state,
			struct kvm_sdei_report *report)
{
}

static int bad_inject(struct kvm_vcpu *vcpu, void *state, u32 event)
{
	return -ENOENT;
}

static int bad_signal(struct kvm_vcpu *vcpu, void *state, u32 event)
{
	return -ENOENT;
}

static int bad_get_reg(struct kvm_vcpu *vcpu, void *state, u64 id, u64 *val)
{
	*val = id == KVM_REG_ARM_SDEI_STATUS ? KVM_REG_ARM_SDEI_STATUS_MASKED : 0;
	return 0;
}

static int bad_set_reg(struct kvm_vcpu *vcpu, void *state, u64 id, u64 val)
{
	return -EINVAL;
}

#define BAD_OPS {					\
	.owner = THIS_MODULE,				\
	.vcpu_create = bad_vcpu_create,			\
	.vcpu_destroy = bad_vcpu_destroy,		\
	.vcpu_reset = bad_vcpu_reset,			\
	.call = bad_call,				\
	.deliver = bad_deliver,				\
	.inject = bad_inject,				\
	.signal = bad_signal,				\
	.get_reg = bad_get_reg,				\
	.set_reg = bad_set_reg,				\
}

static const struct kvm_sdei_ops bad_ops = BAD_OPS;
static const struct kvm_sdei_ops second_ops = BAD_OPS;

/* Each table lacks one member KVM needs. */
static struct kvm_sdei_ops incomplete[] = {
	BAD_OPS, BAD_OPS, BAD_OPS, BAD_OPS, BAD_OPS,
	BAD_OPS, BAD_OPS, BAD_OPS, BAD_OPS, BAD_OPS,
};

static int __init bad_provider_init(void)
{
	const char *accepted = NULL;
	unsigned int i;
	int ret;

	incomplete[0].owner = NULL;
	incomplete[1].vcpu_create = NULL;
	incomplete[2].vcpu_destroy = NULL;
	incomplete[3].vcpu_reset = NULL;
	incomplete[4].call = NULL;
	incomplete[5].deliver = NULL;
	incomplete[6].inject = NULL;
	incomplete[7].signal = NULL;
	incomplete[8].get_reg = NULL;
	incomplete[9].set_reg = NULL;

	if (kvm_sdei_register_provider(NULL) != -EINVAL)
		accepted = "no ops";
	for (i = 0; !accepted && i < ARRAY_SIZE(incomplete); i++) {
		ret = kvm_sdei_register_provider(&incomplete[i]);
		if (!ret)
			kvm_sdei_unregister_provider(&incomplete[i]);
		if (ret != -EINVAL)
			accepted = "an incomplete ops table";
	}
	if (accepted) {
		pr_err("sdei_bad_provider: KVM took %s\n", accepted);
		return -EPROTO;
	}

	ret = kvm_sdei_register_provider(&bad_ops);
	if (ret)
		return ret;

	ret = kvm_sdei_register_provider(&second_ops);
	if (ret != -EBUSY) {
		if (!ret)
			kvm_sdei_unregister_provider(&second_ops);
		kvm_sdei_unregister_provider(&bad_ops);
		pr_err("sdei_bad_provider: KVM took a second provider (%d)\n", ret);
		return -EPROTO;
	}

	pr_info("sdei_bad_provider: %zu bad ops tables refused, registered\n",
		ARRAY_SIZE(incomplete) + 2);
	return 0;
}

static void __exit bad_provider_exit(void)
{
	kvm_sdei_unregister_provider(&bad_ops);
}

module_init(bad_provider_init);
module_exit(bad_provider_exit);
MODULE_DESCRIPTION("A broken SDEI provider that KVM must refuse, for tests");
MODULE_LICENSE("GPL");
