// SPDX-License-Identifier: GPL-2.0

//! SDEI_EVENT_SIGNAL between vCPUs.

mod common;

use common::{err, mpidr, Machine};
use sdei::abi::{Error, Function::*};
use sdei::event::Event;

#[test]
fn signal_to_self_is_delivered_on_the_next_entry() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.signal(0, 0), 0);
    assert_eq!(vm.kicks, [0]);
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    // The handler interrupted the caller right after SIGNAL returned 0.
    assert_eq!(vm.call(0, EventContext, &[0]), 0);
}

#[test]
fn signal_to_another_vcpu_kicks_it_and_leaves_the_caller_alone() {
    let mut vm = Machine::new(3);
    vm.ready(2, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.signal(0, 2), 0);
    assert_eq!(vm.kicks, [2]);
    assert_eq!(vm.enter(0), None);
    assert_eq!(vm.enter(2), Some(Event::SOFTWARE_SIGNALLED));
}

#[test]
fn signal_matches_affinity_fields_only() {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    // RES1 bit 31 and the U/MT bits are not affinity.
    assert_eq!(vm.call(0, EventSignal, &[0, 1]), 0);
}

#[test]
fn signal_to_no_vcpu_is_invalid() {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    for target in [5, 0x100, 0x1_0000, 0xff_0000_0000] {
        let x0 = vm.call(0, EventSignal, &[0, target]);
        assert_eq!(x0, err(Error::InvalidParameters), "MPIDR {target:#x}");
    }
    assert!(vm.kicks.is_empty());
}

#[test]
fn signal_of_another_event_is_invalid() {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    for event in [1, 0x4040_0001, u64::MAX] {
        assert_eq!(
            vm.call(0, EventSignal, &[event, mpidr(1)]),
            err(Error::InvalidParameters)
        );
    }
}

#[test]
fn signal_refused_for_unregistered_disabled_or_masked_targets() {
    let mut vm = Machine::new(2);
    assert_eq!(
        vm.signal(0, 1),
        err(Error::InvalidParameters),
        "unregistered"
    );
    vm.call(1, PeUnmask, &[]);
    vm.call(1, EventRegister, &[0, common::ENTRY, 0, 0, 0]);
    assert_eq!(vm.signal(0, 1), err(Error::InvalidParameters), "disabled");
    vm.call(1, EventEnable, &[0]);
    vm.call(1, PeMask, &[]);
    assert_eq!(vm.signal(0, 1), err(Error::InvalidParameters), "masked");
    vm.call(1, PeUnmask, &[]);
    assert_eq!(vm.signal(0, 1), 0);
    assert_eq!(vm.signals[1].pending(), Event::SOFTWARE_SIGNALLED.bit());
}

#[test]
fn signal_is_accepted_while_the_target_runs_its_handler() {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.signal(0, 1), 0);
    vm.enter(1);
    assert_eq!(vm.signal(0, 1), 0);
    assert_eq!(vm.signals[1].pending(), Event::SOFTWARE_SIGNALLED.bit());
}
