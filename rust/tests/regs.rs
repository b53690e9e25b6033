// SPDX-License-Identifier: GPL-2.0

//! The firmware pseudo-registers: IDs, values, and what SET refuses.

mod common;

use common::{Machine, ENTRY};
use sdei::abi::Function;
use sdei::event::Event;
use sdei::regs::{self, status, Invalid, Reg, COUNT_REGS, FW_REG, IDS};
use sdei::signals::Signals;
use sdei::vcpu_state::VcpuState;

const EV0: u32 = status::event_shift(0);
const APF: u32 = status::event_shift(1);

#[test]
fn ids_are_contiguous_firmware_registers_from_0x100() {
    assert_eq!(COUNT_REGS, 25);
    for (n, &id) in IDS.iter().enumerate() {
        assert_eq!(id, 0x6030_0000_0014_0100 + n as u64);
        assert_eq!(Reg::from_id(id).map(Reg::id), Some(id));
    }
    // KVM's own firmware registers and neighbours are not ours.
    for id in [
        FW_REG,
        FW_REG | 3,
        FW_REG | 0xff,
        FW_REG | 0x119,
        FW_REG | 0xffff,
    ] {
        assert_eq!(Reg::from_id(id), None, "{id:#x}");
    }
    assert_eq!(Reg::from_id(0x6020_0000_0014_0100), None, "32-bit size");
}

#[test]
fn a_fresh_vcpu_reads_masked_and_zero() {
    let (state, signals) = (VcpuState::new(), Signals::new());
    for &id in &IDS {
        let want = if id == Reg::Status.id() {
            status::MASKED
        } else {
            0
        };
        assert_eq!(regs::get(&state, &signals, Reg::from_id(id).unwrap()), want);
    }
}

#[test]
fn status_reads_what_the_guest_did() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.signal(1, 0), 0);
    let value = regs::get(&vm.states[0], &vm.signals[0], Reg::Status);
    let ev0 = status::REGISTERED | status::ENABLED | status::PENDING;
    assert_eq!(value, ev0 << EV0);
    vm.enter(0);
    let value = regs::get(&vm.states[0], &vm.signals[0], Reg::Status);
    assert_eq!(
        value,
        (status::REGISTERED | status::ENABLED | status::RUNNING) << EV0
    );
    assert_eq!(vm.call(0, Function::EventUnregister, &[0]), (-5i64) as u64);
    let value = regs::get(&vm.states[0], &vm.signals[0], Reg::Status);
    let ev0 = status::REGISTERED | status::RUNNING | status::UNREGISTER_PENDING;
    assert_eq!(value, ev0 << EV0);
    assert_eq!(
        regs::get(
            &vm.states[0],
            &vm.signals[0],
            Reg::Entry(Event::SOFTWARE_SIGNALLED)
        ),
        ENTRY
    );
}

#[test]
fn invalid_status_values_are_refused_and_change_nothing() {
    use status::*;
    let cases = [
        (1 << 1, Invalid::ReservedBits),
        (1 << 7, Invalid::ReservedBits),
        (1 << 13, Invalid::ReservedBits),
        (1 << 24, Invalid::ReservedBits),
        (1 << 63, Invalid::ReservedBits),
        (ENABLED << EV0, Invalid::NoSuchState),
        (PENDING << EV0, Invalid::NoSuchState),
        (RUNNING << EV0, Invalid::NoSuchState),
        (
            (REGISTERED | UNREGISTER_PENDING) << EV0,
            Invalid::NoSuchState,
        ),
        (
            (REGISTERED | RUNNING | UNREGISTER_PENDING | ENABLED) << EV0,
            Invalid::NoSuchState,
        ),
        (
            (REGISTERED | RUNNING) << EV0 | (REGISTERED | RUNNING) << APF,
            Invalid::SeveralRunning,
        ),
    ];
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    let before = (vm.states[0].clone(), vm.signals[0].pending());
    for (value, why) in cases {
        let result = regs::set(&mut vm.states[0], &vm.signals[0], Reg::Status, value);
        assert_eq!(result, Err(why), "{value:#x}");
        assert_eq!(
            (vm.states[0].clone(), vm.signals[0].pending()),
            before,
            "{value:#x}"
        );
    }
}

#[test]
fn context_pstate_must_be_a_mode_a_guest_can_be_interrupted_in() {
    let (mut state, signals) = (VcpuState::new(), Signals::new());
    for mode in [0b0_0000, 0b0_0100, 0b0_0101, 0b1_0000] {
        let value = 0x3c0 | 0xf000_0000 | mode;
        assert_eq!(
            regs::set(&mut state, &signals, Reg::ContextPstate, value),
            Ok(())
        );
    }
    for mode in [
        0b0_1000, 0b0_1001, 0b0_1100, 0b0_1101, 0b1_0011, 0b1_1010, 0b0_0001,
    ] {
        let result = regs::set(&mut state, &signals, Reg::ContextPstate, mode);
        assert_eq!(result, Err(Invalid::BadPstate), "mode {mode:#b}");
    }
    assert_eq!(state.context.pstate, 0x3c0 | 0xf000_0000 | 0b1_0000);
}

#[test]
fn a_restored_running_handler_completes_to_the_interrupted_context() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.signal(0, 0);
    let interrupted = vm.regs[0].clone();
    vm.enter(0);
    let saved: Vec<_> = IDS
        .iter()
        .map(|&id| {
            let reg = Reg::from_id(id).unwrap();
            (reg, regs::get(&vm.states[0], &vm.signals[0], reg))
        })
        .collect();

    // A fresh VM, registers restored in reverse order, guest registers as
    // they were in the handler.
    let mut dest = Machine::new(1);
    dest.regs[0] = vm.regs[0].clone();
    for &(reg, value) in saved.iter().rev() {
        regs::set(&mut dest.states[0], &dest.signals[0], reg, value).unwrap();
    }
    assert_eq!(dest.call(0, Function::EventContext, &[5]), interrupted.x[5]);
    dest.call(0, Function::EventComplete, &[0]);
    assert_eq!(dest.regs[0].x[..18], interrupted.x[..18]);
    assert_eq!(
        (dest.regs[0].pc, dest.regs[0].pstate),
        (interrupted.pc, interrupted.pstate)
    );
}

#[test]
fn a_restored_pending_signal_is_delivered_once() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.signal(0, 0);
    let mut dest = Machine::new(1);
    for &id in &IDS {
        let reg = Reg::from_id(id).unwrap();
        let value = regs::get(&vm.states[0], &vm.signals[0], reg);
        regs::set(&mut dest.states[0], &dest.signals[0], reg, value).unwrap();
    }
    assert_eq!(dest.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    dest.call(0, Function::EventComplete, &[0]);
    assert_eq!(dest.enter(0), None);
}

#[test]
fn a_registered_event_without_its_entry_yet_is_not_delivered() {
    use status::*;
    let (mut state, signals) = (VcpuState::new(), Signals::new());
    let value = (REGISTERED | ENABLED | PENDING) << EV0;
    regs::set(&mut state, &signals, Reg::Status, value).unwrap();
    assert_eq!(state.deliverable(&signals), None, "entry not restored yet");
    regs::set(
        &mut state,
        &signals,
        Reg::Entry(Event::SOFTWARE_SIGNALLED),
        ENTRY,
    )
    .unwrap();
    assert_eq!(state.deliverable(&signals), Some(Event::SOFTWARE_SIGNALLED));
}
