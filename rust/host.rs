// SPDX-License-Identifier: GPL-2.0

//! Host build of the SDEI core, for `cargo test`, benchmarks and fuzzing.
//!
//! It compiles the very files the kernel module compiles (`sdei/`).

#![no_std]

mod sdei;

pub use sdei::*;
