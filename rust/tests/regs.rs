// SPDX-License-Identifier: GPL-2.0

//! The firmware pseudo-registers: IDs, values, and what SET refuses.
//!
//! Register IDs and the STATUS layout are the ABI of
//! `Documentation/vmm-abi.rst`, written here as literals.

mod common;

use common::{Machine, ENTRY};
use sdei::abi::Function;
use sdei::event::Event;
use sdei::regs::{self, Invalid, Reg, COUNT_REGS, IDS};
use sdei::signals::Signals;
use sdei::vcpu_state::VcpuState;

/// Event 0's byte in STATUS starts at bit 8, the async PF event's at 16.
const EV0: u32 = 8;
const APF: u32 = 16;
/// An event byte: its SDEI_EVENT_STATUS bits, and bit 3 for a pending signal.
const REGISTERED: u64 = 1;
const ENABLED: u64 = 2;
const RUNNING: u64 = 4;
const PENDING: u64 = 8;
const MASKED: u64 = 1;

/// The register IDs, as `Documentation/vmm-abi.rst` numbers them.
const STATUS_ID: u64 = 0x6030_0000_0014_0100;
const CONTEXT_X0_ID: u64 = 0x6030_0000_0014_0110;
const CONTEXT_PC_ID: u64 = 0x6030_0000_0014_0122;
const CONTEXT_PSTATE_ID: u64 = 0x6030_0000_0014_0123;
const EV0_ENTRY_ID: u64 = 0x6030_0000_0014_0140;
const EV0_ARG_ID: u64 = 0x6030_0000_0014_0141;
const APF_ENTRY_ID: u64 = 0x6030_0000_0014_0150;
const APF_ARG_ID: u64 = 0x6030_0000_0014_0151;

#[test]
fn register_ids_are_fixed_per_field_and_event_slot() {
    assert_eq!(COUNT_REGS, 25);
    let mut want = vec![STATUS_ID];
    want.extend((0..18).map(|n| CONTEXT_X0_ID + n));
    want.extend([CONTEXT_PC_ID, CONTEXT_PSTATE_ID]);
    want.extend([EV0_ENTRY_ID, EV0_ARG_ID, APF_ENTRY_ID, APF_ARG_ID]);
    assert_eq!(IDS.to_vec(), want);

    let named = [
        (STATUS_ID, Reg::Status),
        (CONTEXT_X0_ID + 17, Reg::ContextGpr(17)),
        (CONTEXT_PC_ID, Reg::ContextPc),
        (CONTEXT_PSTATE_ID, Reg::ContextPstate),
        (EV0_ENTRY_ID, Reg::Entry(Event::SOFTWARE_SIGNALLED)),
        (EV0_ARG_ID, Reg::Arg(Event::SOFTWARE_SIGNALLED)),
        (APF_ENTRY_ID, Reg::Entry(Event::ASYNC_PF)),
        (APF_ARG_ID, Reg::Arg(Event::ASYNC_PF)),
    ];
    for (id, reg) in named {
        assert_eq!(Reg::from_id(id), Some(reg), "{id:#x}");
        assert_eq!(reg.id(), id);
    }
}

#[test]
fn reserved_and_foreign_ids_are_not_ours() {
    let fw = 0x6030_0000_0014_0000u64;
    for number in [
        0x0, 0x3, 0xff, 0x101, 0x10f, 0x124, 0x13f, 0x142, 0x14f, 0x152, 0x160, 0x1ff, 0xffff,
    ] {
        assert_eq!(Reg::from_id(fw | number), None, "{number:#x}");
    }
    // The right number with another size, or another coprocessor.
    assert_eq!(Reg::from_id(0x6020_0000_0014_0100), None, "32-bit size");
    assert_eq!(Reg::from_id(0x6040_0000_0014_0100), None, "128-bit size");
    assert_eq!(Reg::from_id(0x6030_0000_0016_0100), None, "FW_FEAT_BMAP");
}

#[test]
fn a_fresh_vcpu_reads_masked_and_zero() {
    let (state, signals) = (VcpuState::new(), Signals::new());
    for &id in &IDS {
        let want = if id == STATUS_ID { MASKED } else { 0 };
        assert_eq!(regs::get(&state, &signals, Reg::from_id(id).unwrap()), want);
    }
}

fn status(vm: &Machine, cpu: usize) -> u64 {
    regs::get(&vm.states[cpu], &vm.signals[cpu], Reg::Status)
}

#[test]
fn status_reads_what_the_guest_did() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.call(0, Function::PeMask, &[]);
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(
        status(&vm, 0),
        MASKED | (REGISTERED | ENABLED | PENDING) << EV0
    );
    vm.call(0, Function::PeUnmask, &[]);
    assert_eq!(status(&vm, 0), (REGISTERED | ENABLED | RUNNING) << EV0);
    assert_eq!(vm.call(0, Function::EventUnregister, &[0]), (-5i64) as u64);
    assert_eq!(status(&vm, 0), RUNNING << EV0, "unregister pending");
    vm.ready(0, Event::ASYNC_PF);
    vm.call(0, Function::EventDisable, &[0x4040_0001]);
    assert_eq!(status(&vm, 0), RUNNING << EV0 | REGISTERED << APF);
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
fn every_valid_status_value_reads_back_as_written() {
    let event_bytes = [
        0,
        REGISTERED,
        REGISTERED | ENABLED,
        REGISTERED | RUNNING,
        REGISTERED | ENABLED | RUNNING,
        RUNNING,
        REGISTERED | PENDING,
        REGISTERED | ENABLED | PENDING,
        REGISTERED | RUNNING | PENDING,
        REGISTERED | ENABLED | RUNNING | PENDING,
    ];
    for masked in [0, MASKED] {
        for ev0 in event_bytes {
            for apf in event_bytes {
                if ev0 & RUNNING != 0 && apf & RUNNING != 0 {
                    continue;
                }
                let value = masked | ev0 << EV0 | apf << APF;
                let (mut state, signals) = (VcpuState::new(), Signals::new());
                regs::set(&mut state, &signals, Reg::Status, value).unwrap();
                assert_eq!(regs::get(&state, &signals, Reg::Status), value);
            }
        }
    }
}

#[test]
fn invalid_status_values_are_refused_and_change_nothing() {
    let cases = [
        (1 << 1, Invalid::ReservedBits),
        (1 << 7, Invalid::ReservedBits),
        (1 << 12, Invalid::ReservedBits),
        (1 << 20, Invalid::ReservedBits),
        (1 << 24, Invalid::ReservedBits),
        (1 << 63, Invalid::ReservedBits),
        (ENABLED << EV0, Invalid::NoSuchState),
        ((ENABLED | RUNNING) << EV0, Invalid::NoSuchState),
        (PENDING << EV0, Invalid::NoSuchState),
        ((RUNNING | PENDING) << EV0, Invalid::NoSuchState),
        (PENDING << APF, Invalid::NoSuchState),
        (
            (REGISTERED | RUNNING) << EV0 | (REGISTERED | RUNNING) << APF,
            Invalid::SeveralRunning,
        ),
        (RUNNING << EV0 | RUNNING << APF, Invalid::SeveralRunning),
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
            Ok(false)
        );
    }
    for mode in [
        0b0_1000, 0b0_1001, 0b0_1100, 0b0_1101, 0b1_0011, 0b1_1010, 0b0_0001,
    ] {
        let result = regs::set(&mut state, &signals, Reg::ContextPstate, mode);
        assert_eq!(result, Err(Invalid::BadPstate), "mode {mode:#b}");
    }
    assert_eq!(state.context().pstate, 0x3c0 | 0xf000_0000 | 0b1_0000);
}

fn save(vm: &Machine, cpu: usize) -> Vec<(Reg, u64)> {
    IDS.iter()
        .map(|&id| {
            let reg = Reg::from_id(id).unwrap();
            (reg, regs::get(&vm.states[cpu], &vm.signals[cpu], reg))
        })
        .collect()
}

#[test]
fn a_restored_running_handler_completes_to_the_interrupted_context() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.call(0, Function::PeMask, &[]);
    vm.signal(1, 0);
    vm.call(0, Function::PeUnmask, &[]);
    assert!(vm.states[0].running().is_some());
    let interrupted = *vm.states[0].context();
    let saved = save(&vm, 0);

    // A fresh VM, registers restored in reverse order, guest registers as
    // they were in the handler.
    let mut dest = Machine::new(1);
    dest.regs[0] = vm.regs[0].clone();
    for &(reg, value) in saved.iter().rev() {
        regs::set(&mut dest.states[0], &dest.signals[0], reg, value).unwrap();
    }
    assert_eq!(
        dest.call(0, Function::EventContext, &[5]),
        interrupted.gprs[5]
    );
    dest.call(0, Function::EventComplete, &[0]);
    assert_eq!(dest.regs[0].x[..18], interrupted.gprs[..]);
    assert_eq!(
        (dest.regs[0].pc, dest.regs[0].pstate),
        (interrupted.pc, interrupted.pstate)
    );
}

#[test]
fn a_restored_pending_signal_is_delivered_once() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.call(0, Function::PeMask, &[]);
    vm.signal(1, 0);
    let saved = save(&vm, 0);
    let mut dest = Machine::new(1);
    for &(reg, value) in &saved {
        regs::set(&mut dest.states[0], &dest.signals[0], reg, value).unwrap();
    }
    assert_eq!(dest.enter(0), None, "masked");
    dest.call(0, Function::PeUnmask, &[]);
    assert!(dest.states[0].running().is_some(), "taken at PE_UNMASK");
    dest.call(0, Function::EventComplete, &[0]);
    assert_eq!(dest.enter(0), None);
}

#[test]
fn a_registered_event_without_its_entry_yet_is_not_delivered() {
    let (mut state, signals) = (VcpuState::new(), Signals::new());
    let value = (REGISTERED | ENABLED | PENDING) << EV0;
    let kick = regs::set(&mut state, &signals, Reg::Status, value);
    assert_eq!(kick, Ok(false), "entry not restored yet");
    let entry = Reg::Entry(Event::SOFTWARE_SIGNALLED);
    let kick = regs::set(&mut state, &signals, entry, ENTRY);
    assert_eq!(kick, Ok(true), "deliverable: kick the vCPU");
    assert_eq!(state.deliverable(&signals), Some(Event::SOFTWARE_SIGNALLED));
}

#[test]
fn restoring_status_keeps_a_signal_raised_since_the_get() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.call(0, Function::PeMask, &[]);
    let got = status(&vm, 0);
    assert_eq!(
        got,
        MASKED | (REGISTERED | ENABLED) << EV0,
        "nothing pending"
    );
    // vCPU 1 signals between the VMM's GET and its SET of the same value.
    vm.signal(1, 0);
    regs::set(&mut vm.states[0], &vm.signals[0], Reg::Status, got).unwrap();
    assert_eq!(vm.signals[0].pending(), 1, "the SET must not withdraw it");
    assert_eq!(status(&vm, 0), got | PENDING << EV0);
}

#[test]
fn restoring_status_drops_the_signals_of_events_it_unregisters() {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.call(0, Function::PeMask, &[]);
    vm.signal(1, 0);
    regs::set(&mut vm.states[0], &vm.signals[0], Reg::Status, MASKED).unwrap();
    assert_eq!(vm.signals[0].pending(), 0);
    assert_eq!(status(&vm, 0), MASKED);
}
