// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal guest for the host-upgrade migration runs (run.sh upgrade).
 * Linux takes a minute to boot under TCG; this takes no time, so a run can
 * move one VM between hosts several times. Each boot it asks for SDEI
 * once (SDEI_VERSION over HVC) and prints whether it has it, then prints
 * a tick every quarter of a second: the console shows that the guest
 * keeps running after each move, and what a reset finds.
 *
 * Loaded by QEMU as an ELF (-kernel), entered at EL1 with the MMU off.
 */
#include <stdint.h>

/* QEMU virt's PL011. */
#define UART_DR		((volatile uint32_t *)0x09000000)
#define UART_FR		((volatile uint32_t *)0x09000018)
#define UART_FR_TXFF	(1u << 5)

#define SDEI_VERSION	0xc4000020u
#define NOT_SUPPORTED	(~0ull)

/* Global: the entry code below names it. */
uint64_t stack[2048] __attribute__((aligned(16)));

void main(void);

asm(".section .text.entry, \"ax\"\n"
    ".global _start\n"
    "_start:\n"
    "	adrp	x0, stack + 16384\n"
    "	add	x0, x0, :lo12:stack + 16384\n"
    "	mov	sp, x0\n"
    "	bl	main\n"
    "1:	wfi\n"
    "	b	1b\n"
    ".previous\n");

static void put_char(char c)
{
	while (*UART_FR & UART_FR_TXFF)
		;
	*UART_DR = c;
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_dec(uint64_t n)
{
	char digits[20];
	int i = 0;

	do {
		digits[i++] = '0' + n % 10;
		n /= 10;
	} while (n);
	while (i)
		put_char(digits[--i]);
}

static uint64_t hvc(uint64_t function)
{
	register uint64_t x0 asm("x0") = function;

	asm volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	return x0;
}

static uint64_t counter(void)
{
	uint64_t value;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(value));
	return value;
}

void main(void)
{
	uint64_t frequency, next, tick = 0;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
	put_str(hvc(SDEI_VERSION) == NOT_SUPPORTED ? "BARE: boot, SDEI absent\n" :
		"BARE: boot, SDEI present\n");
	next = counter();
	for (;;) {
		while (counter() < next)
			;
		put_str("BARE: tick ");
		put_dec(tick++);
		put_char('\n');
		next += frequency / 4;
	}
}
