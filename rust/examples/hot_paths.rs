// SPDX-License-Identifier: GPL-2.0

//! Runs one hot path of the core N times, for instruction counting:
//! `hot_paths <version|signal|cycle> <N>`. `scripts/bench-host.sh` runs it
//! under callgrind for N and 2N and reports the difference divided by N.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::Machine;
use sdei::abi::Function;
use sdei::event::Event;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("path: version, signal or cycle");
    let n: u64 = args.next().expect("iterations").parse().expect("a number");

    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    match path.as_str() {
        // SDEI_VERSION: decode, dispatch, write x0.
        "version" => {
            for _ in 0..n {
                black_box(vm.call(0, Function::Version, &[]));
            }
        }
        // SDEI_EVENT_SIGNAL to another vCPU, left pending: after the first,
        // each finds it pending and writes nothing (no kick).
        "signal" => {
            for _ in 0..n {
                black_box(vm.signal(0, 1));
            }
        }
        // SIGNAL to itself, delivery at the next entry, COMPLETE.
        "cycle" => {
            for _ in 0..n {
                vm.signal(0, 0);
                black_box(vm.enter(0));
                black_box(vm.call(0, Function::EventComplete, &[0]));
            }
        }
        other => panic!("unknown path {other}"),
    }
    println!(
        "{path}: {n} iterations, {} bytes per vCPU",
        sdei::PER_VCPU_BYTES
    );
}
