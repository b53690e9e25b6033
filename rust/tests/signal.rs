// SPDX-License-Identifier: GPL-2.0

//! SDEI_EVENT_SIGNAL between vCPUs.

mod common;

use common::{err, mpidr, Machine};
use sdei::abi::{Error, Function::*};
use sdei::event::Event;

#[test]
fn signal_to_self_is_taken_as_the_call_returns_without_a_kick() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    let after_call = vm.regs[0].pc;
    assert_eq!(vm.signal(0, 0), 0, "x0 = event 0 on entry");
    assert_eq!(vm.kicks, Vec::<usize>::new());
    assert_eq!(vm.states[0].running(), Some(Event::SOFTWARE_SIGNALLED));
    assert_eq!(vm.regs[0].x[2], after_call);
    assert_eq!(vm.enter(0), None);
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
fn signal_succeeds_whatever_the_target_state_as_tf_a() {
    let mut vm = Machine::new(2);
    assert_eq!(vm.signal(0, 1), 0, "unregistered: lost");
    assert_eq!(vm.signals[1].pending(), 0);
    vm.call(1, EventRegister, &[0, common::ENTRY, 0, 0, 0]);
    assert_eq!(vm.signal(0, 1), 0, "disabled, masked: held");
    assert_eq!(vm.signals[1].pending(), 1);
    vm.call(1, EventEnable, &[0]);
    assert_eq!(vm.signal(0, 1), 0, "masked: held, once");
    assert_eq!(vm.signals[1].pending(), 1);
    assert!(vm.kicks.is_empty(), "nothing the target can take yet");
    assert_eq!(vm.enter(1), None);
    vm.call(1, PeUnmask, &[]);
    assert_eq!(vm.states[1].running(), Some(Event::SOFTWARE_SIGNALLED));
    assert_eq!(vm.signals[1].pending(), 0);
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

#[test]
fn signal_kicks_only_when_it_makes_the_event_pending() {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    for _ in 0..3 {
        assert_eq!(vm.signal(0, 1), 0);
    }
    assert_eq!(vm.kicks, [1], "the first SIGNAL made it pending");
    assert_eq!(vm.enter(1), Some(Event::SOFTWARE_SIGNALLED));
    // Running its handler: the next SIGNAL is held, and kicks once more.
    for _ in 0..3 {
        assert_eq!(vm.signal(0, 1), 0);
    }
    assert_eq!(vm.kicks, [1, 1], "one kick per pending state change");
    assert_eq!(vm.signals[1].pending(), Event::SOFTWARE_SIGNALLED.bit());
}

#[test]
fn host_signal_to_a_vcpu_without_event_0_registered_is_refused_and_changes_nothing() {
    let vm = Machine::new(1);
    let before = (vm.signals[0].pending(), vm.signals[0].registered());
    assert_eq!(
        vm.signals[0].host_signal(Event::SOFTWARE_SIGNALLED),
        Err(Error::Denied)
    );
    assert_eq!(
        (vm.signals[0].pending(), vm.signals[0].registered()),
        before
    );
}

#[test]
fn host_signal_is_held_like_a_signal_and_kicks_only_when_it_makes_the_event_pending() {
    let nmi = |vm: &Machine| vm.signals[0].host_signal(Event::SOFTWARE_SIGNALLED);
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    assert_eq!(nmi(&vm), Ok(true));
    // Pending already: accepted, no second kick.
    assert_eq!(nmi(&vm), Ok(false));
    assert_eq!(vm.signals[0].pending(), 0b1);
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    // Its handler runs: the next NMI is held, pending, and kicks once more
    // as a SIGNAL would.
    assert_eq!(nmi(&vm), Ok(true));
    assert_eq!(nmi(&vm), Ok(false));
    assert_eq!(vm.signals[0].pending(), 0b1);
}
