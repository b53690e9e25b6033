/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm-sdei selftests: SDEI calls from the guest and
 * the few facts about the provider the tests check against.
 */
#ifndef SELFTEST_KVM_SDEI_H
#define SELFTEST_KVM_SDEI_H

#include <linux/arm_sdei.h>

#include "kvm_util.h"
#include "processor.h"

/* SDEI 1.1 IDs missing from 6.12's UAPI header. */
#ifndef SDEI_1_0_FN_SDEI_EVENT_SIGNAL
#define SDEI_1_0_FN_SDEI_EVENT_SIGNAL		SDEI_1_0_FN(0x0F)
#endif
#ifndef SDEI_1_0_FN_SDEI_FEATURES
#define SDEI_1_0_FN_SDEI_FEATURES		SDEI_1_0_FN(0x10)
#endif

#define SDEI_EXPECTED_VERSION	((1ULL << 48) | (1ULL << 32))

enum sdei_conduit {
	SDEI_HVC,
	SDEI_SMC,
};

static inline const char *sdei_conduit_name(enum sdei_conduit conduit)
{
	return conduit == SDEI_HVC ? "HVC" : "SMC";
}

/* Calls SDEI function @fn from the guest; returns x0. */
static inline uint64_t sdei_call(enum sdei_conduit conduit, uint32_t fn,
				 uint64_t a1, uint64_t a2, uint64_t a3,
				 uint64_t a4, uint64_t a5)
{
	struct arm_smccc_res res;

	if (conduit == SDEI_HVC)
		smccc_hvc(fn, a1, a2, a3, a4, a5, 0, 0, &res);
	else
		smccc_smc(fn, a1, a2, a3, a4, a5, 0, 0, &res);

	return res.a0;
}

/* Is SDEI offered to this VM, as KVM_REG_ARM_STD_BMAP tells the VMM? */
static inline bool sdei_bmap_bit(struct kvm_vcpu *vcpu)
{
	return vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP) &
	       BIT(KVM_REG_ARM_STD_BIT_SDEI_V1_1);
}

#endif /* SELFTEST_KVM_SDEI_H */
