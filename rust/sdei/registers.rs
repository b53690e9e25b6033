// SPDX-License-Identifier: GPL-2.0

//! What the core needs to see of a vCPU and of its VM.

use super::signals::Signals;

/// The registers of the vCPU whose call or event is being handled.
///
/// The KVM glue implements it over a real vCPU, the host tests over plain
/// fields, so the whole protocol can be tested without a kernel.
pub trait Registers {
    /// Reads x0 onwards into `values`, at most 31 of them.
    ///
    /// One copy, not one call per register: a call reads all its
    /// arguments at once, and a delivery saves x0-x17.
    fn read_gprs(&self, values: &mut [u64]);
    /// Writes `values` to x0 onwards, at most 31 of them.
    fn write_gprs(&mut self, values: &[u64]);
    /// Reads the PC the guest resumes at and PSTATE (as SPSR_EL2 holds it).
    fn pc_pstate(&self) -> (u64, u64);
    /// Sets the PC the guest resumes at and PSTATE, both or neither.
    ///
    /// KVM refuses a PSTATE the vCPU cannot run with; the core only writes
    /// one it read from the vCPU, one it checked on a restore, or one an
    /// exception entry gives.
    fn set_pc_pstate(&mut self, pc: u64, pstate: u64);
    /// Sets ELR_EL1 and SPSR_EL1, both or neither, as for [`set_pc_pstate`].
    ///
    /// [`set_pc_pstate`]: Registers::set_pc_pstate
    fn set_elr_spsr_el1(&mut self, elr: u64, spsr: u64);
    /// Reads SCTLR_EL1.
    fn sctlr_el1(&self) -> u64;
    /// Whether the guest has MTE, so that taking an exception sets TCO.
    fn has_mte(&self) -> bool;
}

/// The vCPUs of the calling vCPU's VM, as `SDEI_EVENT_SIGNAL` finds them.
///
/// The glue implements it on the same type as [`Registers`]: the caller
/// finds its peers.
pub trait Vm {
    /// A vCPU found by MPIDR: its [`Signals`], and what the glue needs to
    /// wake it up.
    type Target: Target;

    /// The vCPU whose MPIDR_EL1 affinity fields are `mpidr`, if any.
    fn vcpu_by_mpidr(&self, mpidr: u64) -> Option<Self::Target>;

    /// Whether `target` is the calling vCPU itself.
    fn is_caller(&self, target: &Self::Target) -> bool;
}

/// Another vCPU (or the caller itself), seen from the caller's thread.
pub trait Target {
    /// The part of the target's state other threads may touch.
    fn signals(&self) -> &Signals;
}
