// SPDX-License-Identifier: GPL-2.0

//! PSTATE and SCTLR_EL1 bits, and the PSTATE of an exception taken to EL1h.

/// PSTATE.M\[4:0\] for AArch64 EL1 using SP_EL1.
pub const MODE_EL1H: u64 = 0b0_0101;
/// PSTATE.F, FIQ mask.
pub const F: u64 = 1 << 6;
/// PSTATE.I, IRQ mask.
pub const I: u64 = 1 << 7;
/// PSTATE.A, SError mask.
pub const A: u64 = 1 << 8;
/// PSTATE.D, debug exception mask.
pub const D: u64 = 1 << 9;
/// PSTATE.SSBS.
pub const SSBS: u64 = 1 << 12;
/// PSTATE.PAN.
pub const PAN: u64 = 1 << 22;
/// PSTATE.DIT.
pub const DIT: u64 = 1 << 24;
/// PSTATE.TCO, MTE tag check override.
pub const TCO: u64 = 1 << 25;
/// PSTATE.{N,Z,C,V}.
pub const NZCV: u64 = 0xf << 28;

/// SCTLR_EL1.SPAN: when clear, taking an exception to EL1 sets PAN.
pub const SCTLR_SPAN: u64 = 1 << 23;
/// SCTLR_EL1.DSSBS: the value of PSTATE.SSBS on exception entry.
pub const SCTLR_DSSBS: u64 = 1 << 44;

/// The PSTATE a handler is entered with, from `interrupted`, in a guest
/// with MTE if `mte`.
///
/// As TF-A's dispatcher (`sdei_set_elr_spsr()`), which follows the
/// architecture's AArch64.TakeException(): AArch64 EL1h with D, A, I and F
/// masked; PAN set unless SCTLR_EL1.SPAN says to keep it; SSBS from
/// SCTLR_EL1.DSSBS; TCO set if the guest has MTE; DIT kept. Unlike
/// TakeException, and as TF-A, NZCV starts clear. Everything else (BTYPE,
/// IL, SS, UAO) is clear.
///
/// # Examples
///
/// ```
/// use sdei::pstate::*;
///
/// let from_el1 = NZCV | DIT | MODE_EL1H;
/// let entry = DIT | PAN | D | A | I | F | MODE_EL1H;
/// assert_eq!(handler_entry(from_el1, 0, false), entry);
/// assert_eq!(handler_entry(from_el1, 0, true), entry | TCO);
/// ```
pub const fn handler_entry(interrupted: u64, sctlr_el1: u64, mte: bool) -> u64 {
    let mut pstate = (interrupted & DIT) | D | A | I | F | MODE_EL1H;
    if mte {
        pstate |= TCO;
    }
    if sctlr_el1 & SCTLR_SPAN == 0 {
        pstate |= PAN;
    } else {
        pstate |= interrupted & PAN;
    }
    if sctlr_el1 & SCTLR_DSSBS != 0 {
        pstate |= SSBS;
    }
    pstate
}

/// The PSTATE `SDEI_EVENT_COMPLETE_AND_RESUME` resumes with: AArch64 EL1h
/// with D, A, I and F masked, and nothing else, as TF-A's
/// `sdei_event_complete()` sets it.
pub const RESUME: u64 = D | A | I | F | MODE_EL1H;

/// Whether `pstate` is one an interrupted guest can have had: AArch64 EL0t,
/// EL1t or EL1h, or AArch32 User. Anything else (EL2, an AArch32 privileged
/// mode) must never be restored into a guest.
pub const fn valid_interrupted(pstate: u64) -> bool {
    matches!(pstate & 0x1f, 0b0_0000 | 0b0_0100 | 0b0_0101 | 0b1_0000)
}
