/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What make bench's selftest benchmarks share, in the guest and on the
 * host alike: sorting, for medians and percentiles, and pairs of
 * alternating requests, each pair giving one ratio, so that drift hits
 * both kinds alike.
 */
#ifndef SELFTEST_KVM_SDEI_BENCH_H
#define SELFTEST_KVM_SDEI_BENCH_H

#include <linux/types.h>
#include <stdbool.h>

#include "processor.h"
#include "ucall_common.h"

static inline void sort_u64(u64 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * Warms both kinds up, then makes @n pairs of request(true) and
 * request(false), alternating which goes first. Each request returns its
 * cost; @a and @b get them sorted, and @ratio the pairs' a / b (times
 * 1000), sorted.
 */
static inline void measure_pairs(u64 (*request)(bool a_kind), int n, u64 *a, u64 *b,
				 u64 *ratio)
{
	for (int i = 0; i < 8; i++) {
		request(true);
		request(false);
	}
	for (int i = 0; i < n; i++) {
		if (i & 1) {
			b[i] = request(false);
			a[i] = request(true);
		} else {
			a[i] = request(true);
			b[i] = request(false);
		}
		ratio[i] = a[i] * 1000 / b[i];
	}
	sort_u64(a, n);
	sort_u64(b, n);
	sort_u64(ratio, n);
}

/*
 * In the guest: spins until @cond holds, and fails the test instead of
 * hanging if it does not within 10 s of the virtual counter.
 */
#define GUEST_WAIT_FOR(cond, what)							\
do {											\
	u64 __deadline = read_sysreg(cntvct_el0) + 10 * read_sysreg(cntfrq_el0);	\
											\
	while (!(cond)) {								\
		__GUEST_ASSERT(read_sysreg(cntvct_el0) < __deadline,			\
			       "%s: not within 10 s", what);				\
		cpu_relax();								\
	}										\
} while (0)

#endif /* SELFTEST_KVM_SDEI_BENCH_H */
