/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sdei_bad_provider.ko and sdei_guard agree on: the bad writes a
 * guest asks the broken provider for, by the number it passes in x1, and
 * the values of the two that KVM must accept.
 */
#ifndef SDEI_BAD_PROVIDER_H
#define SDEI_BAD_PROVIDER_H

enum bad_write {
	PSTATE_SAME,		/* control: the PSTATE the vCPU has */
	PSTATE_EL2H,
	PSTATE_EL2T,
	PSTATE_EL3H,
	PSTATE_RESERVED_MODE,	/* M[3:0] = 0b0010 */
	PSTATE_AARCH32_SVC,
	PSTATE_RES0_BIT_26,
	PSTATE_ALLINT,
	PSTATE_BIT_32,
	SPSR_EL1_EL2H,
	SPSR_EL1_AARCH32_SVC,
	SPSR_EL1_VALID,		/* control: EL1h, DAIF masked */
	NR_BAD_WRITES,
};

#define BAD_PROVIDER_SPSR_WRITTEN	0x3c5ULL
#define BAD_PROVIDER_ELR_WRITTEN	0xe1eULL

#endif /* SDEI_BAD_PROVIDER_H */
