// SPDX-License-Identifier: GPL-2.0

//! The SDEI core: the whole guest-facing behaviour of the provider (Arm
//! DEN 0054 as read in `Documentation/`), in plain Rust on `core` only.
//!
//! Nothing here knows whether it runs in the kernel: the KVM glue and the
//! host tests both drive it through the [`vcpu::Registers`] trait.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod abi;
pub mod call;
pub mod vcpu;
