// SPDX-License-Identifier: GPL-2.0

//! What the core needs to see of a vCPU.

/// The registers of the vCPU whose call or event is being handled.
///
/// The KVM glue implements it over a real vCPU, the host tests over a plain
/// array, so the whole protocol can be tested without a kernel.
pub trait Registers {
    /// Reads general-purpose register `x<n>`, `n` in 0..=30.
    fn gpr(&self, n: u8) -> u64;
    /// Writes general-purpose register `x<n>`, `n` in 0..=30.
    fn set_gpr(&mut self, n: u8, value: u64);
}
