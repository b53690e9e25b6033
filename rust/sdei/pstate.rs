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
/// PSTATE.BTYPE.
pub const BTYPE: u64 = 0b11 << 10;
/// PSTATE.SSBS.
pub const SSBS: u64 = 1 << 12;
/// PSTATE.IL, illegal execution state.
pub const IL: u64 = 1 << 20;
/// PSTATE.SS, software step.
pub const SS: u64 = 1 << 21;
/// PSTATE.PAN.
pub const PAN: u64 = 1 << 22;
/// PSTATE.UAO.
pub const UAO: u64 = 1 << 23;
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

/// The PSTATE an exception taken to EL1h from `interrupted` starts with,
/// in a guest with MTE if `mte`.
///
/// As the architecture's TakeException(): AArch64 EL1h with D, A, I and F
/// masked; PAN set unless SCTLR_EL1.SPAN says to keep it; SSBS from
/// SCTLR_EL1.DSSBS; TCO set if the guest has MTE; NZCV and DIT kept;
/// everything else (BTYPE, IL, SS, UAO, and TCO without MTE) cleared.
///
/// # Examples
///
/// ```
/// use sdei::pstate::*;
///
/// let from_el1 = NZCV | MODE_EL1H;
/// let entry = NZCV | PAN | D | A | I | F | MODE_EL1H;
/// assert_eq!(exception_entry(from_el1, 0, false), entry);
/// assert_eq!(exception_entry(from_el1, 0, true), entry | TCO);
/// ```
pub const fn exception_entry(interrupted: u64, sctlr_el1: u64, mte: bool) -> u64 {
    let mut pstate = (interrupted & (NZCV | DIT)) | D | A | I | F | MODE_EL1H;
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
