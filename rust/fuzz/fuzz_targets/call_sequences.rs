// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the SDEI core with arbitrary step sequences on several vCPUs:
//! the same model run as the property tests, with its invariants checked
//! after every step.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sdei::abi::Function;
use sdei::event::{Event, ASYNC_PF_NUMBER};

#[path = "../../tests/common/mod.rs"]
mod common;

use common::model::{run, Step, VCPUS};

/// Arguments worth hitting often; other bytes make repeated-byte values.
fn arg(byte: u8) -> u64 {
    const INTERESTING: [u64; 12] = [
        0,
        1,
        2,
        17,
        18,
        ASYNC_PF_NUMBER as u64,
        common::ENTRY,
        u64::MAX,
        1 << 31,
        0x4040_0000,
        0x100,
        0xff_0000_0000,
    ];
    match usize::from(byte) {
        n if n < INTERESTING.len() => INTERESTING[n],
        n if n < INTERESTING.len() + VCPUS + 1 => common::mpidr(n - INTERESTING.len()),
        _ => u64::from(byte) * 0x0101_0101_0101_0101,
    }
}

/// Eight bytes a step: kind, vCPU, then what the kind needs.
fn decode(data: &[u8]) -> Vec<Step> {
    data.chunks_exact(8)
        .map(|b| {
            let cpu = usize::from(b[1]) % VCPUS;
            match b[0] % 7 {
                0 | 1 => Step::Call {
                    cpu,
                    function: Function::ALL[usize::from(b[2]) % Function::ALL.len()],
                    args: [arg(b[3]), arg(b[4]), arg(b[5]), arg(b[6]), arg(b[7])],
                },
                2 => Step::Ready {
                    cpu,
                    event: if b[2] & 1 == 0 {
                        Event::SOFTWARE_SIGNALLED
                    } else {
                        Event::ASYNC_PF
                    },
                },
                3 => Step::Signal {
                    from: cpu,
                    to: usize::from(b[2]) % VCPUS,
                },
                4 => Step::Scribble {
                    cpu,
                    seed: u64::from_le_bytes(b.try_into().unwrap()),
                },
                5 => match b[2] % 4 {
                    0 => Step::Inject { cpu },
                    1 => Step::Reset { cpu },
                    2 => Step::Migrate {
                        cpu,
                        seed: u64::from_le_bytes(b.try_into().unwrap()),
                    },
                    _ => Step::Enter { cpu },
                },
                _ => Step::Enter { cpu },
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| run(&decode(data)));
