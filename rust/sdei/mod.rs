// SPDX-License-Identifier: GPL-2.0

//! The SDEI core: the whole guest-facing behaviour of the provider (Arm
//! DEN 0054, as `Documentation/` reads it), in plain Rust on `core` only.
//!
//! Nothing here knows whether it runs in the kernel: the KVM glue and the
//! host tests both drive it through the traits of [`vcpu`]. The state of a
//! vCPU is split in two: [`vcpu_state::VcpuState`], which only the vCPU's
//! own thread touches, and [`signals::Signals`], the atomic bits through
//! which other vCPUs and the host raise events.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod abi;
pub mod call;
pub mod delivery;
pub mod event;
pub mod event_state;
pub mod pstate;
pub mod registers;
pub mod regs;
pub mod signals;
pub mod vcpu_state;

/// Bytes of provider state per vCPU; nothing else grows with the VM.
pub const PER_VCPU_BYTES: usize =
    core::mem::size_of::<vcpu_state::VcpuState>() + core::mem::size_of::<signals::Signals>();

// The budget for per-vCPU state.
const _: () = assert!(PER_VCPU_BYTES <= 256);
