// SPDX-License-Identifier: GPL-2.0

//! Writes `signals.rs` over loom's atomics into OUT_DIR, for the loom model
//! (tests/loom.rs): the file the kernel builds stays on `core` alone.

use std::{env, fs, path::Path};

fn main() {
    let source = "sdei/signals.rs";
    println!("cargo:rerun-if-changed={source}");
    let text = fs::read_to_string(source).expect("sdei/signals.rs");
    let atomics = "use core::sync::atomic::{AtomicU32, Ordering};";
    assert!(
        text.contains(atomics),
        "signals.rs no longer imports its atomics as expected"
    );
    let loom = text
        .replace(atomics, "use loom::sync::atomic::{AtomicU32, Ordering};")
        // loom's atomics cannot be made in a const fn.
        .replace("pub const fn new()", "pub fn new()")
        // An included file cannot carry the module's inner docs.
        .lines()
        .filter(|line| !line.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("signals_loom.rs");
    fs::write(out, loom).unwrap();
}
