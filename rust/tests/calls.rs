// SPDX-License-Identifier: GPL-2.0

//! Each SDEI call in each event state, with the exact x0 the guest gets
//! and what the call does to the state.

mod common;

use common::{err, mpidr, Machine, ARG, ENTRY};
use sdei::abi::{Error, Function::*};
use sdei::event::{Event, ASYNC_PF_NUMBER};
use sdei::event_state::EventState;
use sdei::vcpu_state::VcpuState;

const EV0: u64 = 0;
const APF: u64 = ASYNC_PF_NUMBER as u64;
/// Unknown in their low 32 bits, which are all an event number has.
const UNKNOWN_EVENTS: [u64; 6] = [
    1,
    0x4040_0000,
    0x4040_0002,
    1 << 31,
    u64::MAX,
    0x1_4040_0000,
];

fn state(vm: &Machine) -> EventState {
    vm.states[0].registration(Event::SOFTWARE_SIGNALLED).state
}

// Fixtures: one vCPU with event 0 in the named state; vCPU unmasked.

fn unregistered() -> Machine {
    let mut vm = Machine::new(2);
    assert_eq!(vm.call(0, PeUnmask, &[]), 0);
    vm
}

fn registered() -> Machine {
    let mut vm = unregistered();
    assert_eq!(vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]), 0);
    vm
}

fn registered_enabled() -> Machine {
    let mut vm = registered();
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    vm
}

fn running() -> Machine {
    let mut vm = registered_enabled();
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    vm
}

fn running_disabled() -> Machine {
    let mut vm = running();
    assert_eq!(vm.call(0, EventDisable, &[EV0]), 0);
    vm
}

fn unregister_pending() -> Machine {
    let mut vm = running();
    assert_eq!(vm.call(0, EventUnregister, &[EV0]), err(Error::Pending));
    vm
}

fn status(vm: &mut Machine) -> u64 {
    vm.call(0, EventStatus, &[EV0])
}

// Tests for the UNREGISTERED state.

#[test]
fn unregistered_register_succeeds_disabled() {
    let mut vm = unregistered();
    assert_eq!(vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]), 0);
    assert_eq!(state(&vm), EventState::Registered { enabled: false });
    let registration = vm.states[0].registration(Event::SOFTWARE_SIGNALLED);
    assert_eq!((registration.entry, registration.arg), (ENTRY, ARG));
    assert_eq!(status(&mut vm), 0b001);
}

#[test]
fn unregistered_register_rm_pe_needs_a_vcpu_affinity() {
    let mut vm = unregistered();
    let bad = vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 1, 0xff_0000_0000]);
    assert_eq!(bad, err(Error::InvalidParameters));
    assert_eq!(state(&vm), EventState::Unregistered);
    assert_eq!(
        vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 1, mpidr(1)]),
        0
    );
}

#[test]
fn unregistered_register_bad_parameters_change_nothing() {
    let mut vm = unregistered();
    let before = vm.states[0].clone();
    for args in [
        [EV0, 0, ARG, 0, 0],     // entry 0
        [EV0, ENTRY, ARG, 2, 0], // flags > RM_PE
        [EV0, ENTRY, ARG, u64::MAX, 0],
    ] {
        assert_eq!(
            vm.call(0, EventRegister, &args),
            err(Error::InvalidParameters),
            "{args:x?}"
        );
    }
    for event in UNKNOWN_EVENTS {
        let x0 = vm.call(0, EventRegister, &[event, ENTRY, ARG, 0, 0]);
        assert_eq!(x0, err(Error::InvalidParameters), "event {event:#x}");
    }
    assert_eq!(vm.states[0], before);
}

#[test]
fn unregistered_enable_disable_unregister_are_denied() {
    let mut vm = unregistered();
    for function in [EventEnable, EventDisable, EventUnregister] {
        assert_eq!(
            vm.call(0, function, &[EV0]),
            err(Error::Denied),
            "{function:?}"
        );
    }
    assert_eq!(state(&vm), EventState::Unregistered);
    assert_eq!(status(&mut vm), 0);
}

#[test]
fn unregistered_complete_and_context_are_denied() {
    let mut vm = unregistered();
    let regs = vm.regs[0].clone();
    assert_eq!(vm.call(0, EventComplete, &[0]), err(Error::Denied));
    assert_eq!(
        vm.call(0, EventCompleteAndResume, &[0x1234]),
        err(Error::Denied)
    );
    assert_eq!(vm.call(0, EventContext, &[0]), err(Error::Denied));
    assert_eq!(
        vm.regs[0].pc, regs.pc,
        "a refused COMPLETE returns to the caller"
    );
}

// Tests for the REGISTERED (disabled) state.

#[test]
fn registered_register_again_is_denied() {
    let mut vm = registered();
    assert_eq!(
        vm.call(0, EventRegister, &[EV0, 0x42, 7, 0, 0]),
        err(Error::Denied)
    );
    assert_eq!(
        vm.states[0].registration(Event::SOFTWARE_SIGNALLED).entry,
        ENTRY
    );
}

#[test]
fn registered_enable_is_idempotent() {
    let mut vm = registered();
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b011);
}

#[test]
fn registered_disable_is_idempotent() {
    let mut vm = registered();
    assert_eq!(vm.call(0, EventDisable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b001);
}

#[test]
fn registered_unregister_forgets_the_handler() {
    let mut vm = registered();
    assert_eq!(vm.call(0, EventUnregister, &[EV0]), 0);
    assert_eq!(state(&vm), EventState::Unregistered);
    let registration = vm.states[0].registration(Event::SOFTWARE_SIGNALLED);
    assert_eq!((registration.entry, registration.arg), (0, 0));
}

#[test]
fn registered_disabled_holds_a_signal_until_enabled() {
    let mut vm = registered();
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.enter(0), None);
    assert_eq!(vm.kicks, Vec::<usize>::new(), "nothing to take yet");
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(vm.regs[0].pc, ENTRY, "taken as ENABLE returns");
}

// Tests for the REGISTERED and ENABLED state.

#[test]
fn registered_enabled_disable_then_enable() {
    let mut vm = registered_enabled();
    assert_eq!(vm.call(0, EventDisable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b001);
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b011);
}

#[test]
fn registered_enabled_unregister_also_disables() {
    let mut vm = registered_enabled();
    assert_eq!(vm.call(0, EventUnregister, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0);
    assert_eq!(vm.signal(1, 0), 0, "succeeds, as TF-A");
    assert_eq!(vm.signals[0].pending(), 0, "and the signal is lost");
    assert_eq!(vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]), 0);
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(vm.enter(0), None);
}

#[test]
fn registered_enabled_masked_holds_a_signal_until_unmasked() {
    let mut vm = registered_enabled();
    assert_eq!(vm.call(0, PeMask, &[]), 1);
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.kicks, Vec::<usize>::new(), "nothing to take yet");
    assert_eq!(vm.enter(0), None);
    assert_eq!(vm.call(0, PeUnmask, &[]), 0);
    assert_eq!(vm.regs[0].pc, ENTRY, "taken as PE_UNMASK returns");
    assert_eq!(vm.regs[0].x[0], 0, "event 0");
}

#[test]
fn registered_enabled_signal_kicks_the_target() {
    let mut vm = registered_enabled();
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.kicks, vec![0]);
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
}

// Tests for the RUNNING state.

#[test]
fn running_status_is_registered_enabled_running() {
    let mut vm = running();
    assert_eq!(status(&mut vm), 0b111);
}

#[test]
fn running_register_is_denied() {
    let mut vm = running();
    assert_eq!(
        vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]),
        err(Error::Denied)
    );
}

#[test]
fn running_disable_is_allowed() {
    let mut vm = running();
    assert_eq!(vm.call(0, EventDisable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b101);
}

#[test]
fn running_unregister_is_pending() {
    let mut vm = running();
    assert_eq!(vm.call(0, EventUnregister, &[EV0]), err(Error::Pending));
    assert_eq!(state(&vm), EventState::UnregisterPending);
    assert_eq!(status(&mut vm), 0b100, "running only, as TF-A");
}

#[test]
fn running_context_checks_the_index_first() {
    let mut vm = running();
    assert_eq!(
        vm.call(0, EventContext, &[18]),
        err(Error::InvalidParameters)
    );
    assert_eq!(
        vm.call(0, EventContext, &[u64::MAX]),
        err(Error::InvalidParameters)
    );
    // Outside a handler too: the index is checked before the state.
    let mut idle = registered_enabled();
    assert_eq!(
        idle.call(0, EventContext, &[18]),
        err(Error::InvalidParameters)
    );
}

#[test]
fn running_private_reset_is_denied_and_unregister_pending() {
    let mut vm = running();
    assert_eq!(vm.call(0, PrivateReset, &[]), err(Error::Denied));
    assert_eq!(state(&vm), EventState::UnregisterPending);
    assert_eq!(status(&mut vm), 0b100);
}

#[test]
fn unregister_pending_drops_a_signal() {
    let mut vm = unregister_pending();
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.signals[0].pending(), 0);
}

// Tests for the RUNNING and DISABLED state.

#[test]
fn running_disabled_complete_stays_disabled() {
    let mut vm = running_disabled();
    assert_eq!(status(&mut vm), 0b101);
    vm.call(0, EventComplete, &[0]);
    assert_eq!(state(&vm), EventState::Registered { enabled: false });
}

#[test]
fn running_disabled_enable_is_allowed() {
    let mut vm = running_disabled();
    assert_eq!(vm.call(0, EventEnable, &[EV0]), 0);
    assert_eq!(status(&mut vm), 0b111);
}

// Tests for the UNREGISTER-PENDING state.

#[test]
fn unregister_pending_unregister_again_is_pending() {
    let mut vm = unregister_pending();
    assert_eq!(vm.call(0, EventUnregister, &[EV0]), err(Error::Pending));
}

#[test]
fn unregister_pending_enable_and_register_are_denied() {
    let mut vm = unregister_pending();
    assert_eq!(vm.call(0, EventEnable, &[EV0]), err(Error::Denied));
    assert_eq!(vm.call(0, EventDisable, &[EV0]), err(Error::Denied));
    assert_eq!(
        vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]),
        err(Error::Denied)
    );
}

#[test]
fn unregister_pending_complete_unregisters() {
    let mut vm = unregister_pending();
    vm.call(0, EventComplete, &[0]);
    assert_eq!(state(&vm), EventState::Unregistered);
    assert_eq!(status(&mut vm), 0);
    // And the event can be registered again.
    assert_eq!(vm.call(0, EventRegister, &[EV0, ENTRY, ARG, 0, 0]), 0);
}

// Calls that do not depend on an event's state.

#[test]
fn unknown_events_are_invalid_for_every_event_call() {
    let mut vm = registered_enabled();
    let before = vm.states[0].clone();
    for event in UNKNOWN_EVENTS {
        for function in [EventEnable, EventDisable, EventUnregister, EventStatus] {
            let x0 = vm.call(0, function, &[event]);
            assert_eq!(
                x0,
                err(Error::InvalidParameters),
                "{function:?}({event:#x})"
            );
        }
        let x0 = vm.call(0, EventGetInfo, &[event, 0]);
        assert_eq!(x0, err(Error::InvalidParameters));
    }
    assert_eq!(vm.states[0], before);
}

#[test]
fn get_info_describes_both_events() {
    let mut vm = unregistered();
    // Type: private; priority: normal; only event 0 is signalable.
    // Info 1 answers "not signalable?", as TF-A's SDEI_INFO_EV_NOT_SIGNALED.
    assert_eq!(vm.call(0, EventGetInfo, &[EV0, 0]), 0);
    assert_eq!(vm.call(0, EventGetInfo, &[EV0, 1]), 0);
    assert_eq!(vm.call(0, EventGetInfo, &[EV0, 2]), 0);
    assert_eq!(vm.call(0, EventGetInfo, &[APF, 0]), 0);
    assert_eq!(vm.call(0, EventGetInfo, &[APF, 1]), 1);
    assert_eq!(vm.call(0, EventGetInfo, &[APF, 2]), 0);
    // The query is 32 bits wide.
    assert_eq!(vm.call(0, EventGetInfo, &[APF, 1 << 32 | 1]), 1);
    for info in [3, 4, 5, u64::MAX] {
        for event in [EV0, APF] {
            let x0 = vm.call(0, EventGetInfo, &[event, info]);
            assert_eq!(
                x0,
                err(Error::InvalidParameters),
                "info {info} of {event:#x}"
            );
        }
    }
}

#[test]
fn routing_set_is_invalid_for_private_events() {
    let mut vm = registered();
    for event in [EV0, APF, 1] {
        assert_eq!(
            vm.call(0, EventRoutingSet, &[event, 0, 0]),
            err(Error::InvalidParameters)
        );
    }
}

#[test]
fn interrupt_bind_finds_no_slot_and_release_no_bound_event() {
    let mut vm = unregistered();
    // SGIs (0-15) are never bound; anything else finds no free slot.
    for sgi in [0, 15, 1 << 32] {
        assert_eq!(vm.call(0, InterruptBind, &[sgi]), (-2i64) as u64, "{sgi}");
    }
    for intid in [16, 27, 32, 1019, 0xffff_ffff] {
        assert_eq!(
            vm.call(0, InterruptBind, &[intid]),
            (-10i64) as u64,
            "{intid}"
        );
    }
    for event in [EV0, APF, 1] {
        assert_eq!(vm.call(0, InterruptRelease, &[event]), (-2i64) as u64);
    }
}

#[test]
fn event_numbers_are_the_low_32_bits() {
    let mut vm = unregistered();
    let high = 0xffff_ffff_0000_0000u64;
    assert_eq!(
        vm.call(0, EventRegister, &[high | EV0, ENTRY, ARG, 0, 0]),
        0
    );
    assert_eq!(vm.call(0, EventEnable, &[high]), 0);
    assert_eq!(vm.call(0, EventStatus, &[high]), 0b011);
    assert_eq!(vm.call(0, EventStatus, &[high | APF]), 0);
    assert_eq!(vm.call(0, EventSignal, &[high, mpidr(1)]), 0);
    assert_eq!(vm.call(1, EventSignal, &[high, mpidr(0)]), 0);
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    assert_eq!(
        vm.call(0, EventContext, &[high | 2]),
        vm.states[0].context().gprs[2]
    );
}

#[test]
fn features_reports_no_bind_slots() {
    let mut vm = unregistered();
    assert_eq!(vm.call(0, Features, &[0]), 0);
    assert_eq!(vm.call(0, Features, &[1]), err(Error::InvalidParameters));
    assert_eq!(vm.call(0, Features, &[1 << 32]), 0, "32-bit feature");
    assert_eq!(
        vm.call(0, Features, &[u64::MAX]),
        err(Error::InvalidParameters)
    );
}

#[test]
fn pe_mask_returns_the_previous_unmasked_state() {
    let mut vm = Machine::new(1);
    assert!(vm.states[0].masked(), "a vCPU starts masked");
    assert_eq!(vm.call(0, PeMask, &[]), 0);
    assert_eq!(vm.call(0, PeUnmask, &[]), 0);
    assert!(!vm.states[0].masked());
    assert_eq!(vm.call(0, PeMask, &[]), 1);
    assert_eq!(vm.call(0, PeMask, &[]), 0);
}

#[test]
fn private_reset_outside_a_handler_unregisters_everything() {
    let mut vm = registered_enabled();
    assert_eq!(vm.call(0, EventRegister, &[APF, ENTRY, ARG, 0, 0]), 0);
    assert_eq!(vm.call(0, PrivateReset, &[]), 0);
    for event in Event::all() {
        assert_eq!(
            vm.states[0].registration(event).state,
            EventState::Unregistered
        );
    }
    assert!(!vm.states[0].masked(), "PRIVATE_RESET does not mask");
}

#[test]
fn private_reset_drops_pending_signals() {
    let mut vm = registered_enabled();
    vm.call(0, PeMask, &[]);
    vm.call(0, PeUnmask, &[]);
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.call(0, PrivateReset, &[]), 0);
    assert_eq!(vm.signals[0].pending(), 0);
    assert_eq!(vm.enter(0), None);
}

#[test]
fn shared_reset_succeeds_and_changes_nothing() {
    let mut vm = registered_enabled();
    let before = vm.states[0].clone();
    assert_eq!(vm.call(0, SharedReset, &[]), 0);
    assert_eq!(vm.states[0], before);
}

#[test]
fn vcpu_reset_equals_a_fresh_vcpu() {
    let mut vm = unregister_pending();
    vm.ready(0, Event::ASYNC_PF);
    vm.signals[0].inject(Event::ASYNC_PF).unwrap();
    vm.states[0].reset(&vm.signals[0]);
    assert_eq!(vm.states[0], VcpuState::new());
    assert_eq!((vm.signals[0].pending(), vm.signals[0].accepting()), (0, 0));
    assert_eq!(vm.signals[0].registered(), 0);
}

#[test]
fn waking_from_a_power_down_suspend_masks_and_keeps_the_rest() {
    // As TF-A's sdei_cpu_wakeup_init(): masked, registrations and pending
    // signals kept.
    let mut vm = registered_enabled();
    assert_eq!(vm.call(0, PeMask, &[]), 1);
    assert_eq!(vm.call(0, PeUnmask, &[]), 0);
    assert_eq!(vm.signal(1, 0), 0);
    vm.states[0].wake_up(&vm.signals[0]);
    assert!(vm.states[0].masked());
    assert_eq!(vm.signals[0].pending(), 1, "the signal is kept");
    assert_eq!(
        vm.signals[0].accepting(),
        0,
        "nothing accepted while masked"
    );
    assert_eq!(status(&mut vm), 0b011, "still registered and enabled");
    assert_eq!(vm.enter(0), None);
    assert_eq!(vm.call(0, PeUnmask, &[]), 0);
    assert_eq!(vm.states[0].running(), Some(Event::SOFTWARE_SIGNALLED));
}

#[test]
fn function_ids_with_no_sdei_function_are_not_supported() {
    let mut vm = registered_enabled();
    let before = vm.states[0].clone();
    // The rest of the SDEI range, and the SMC32 forms of SDEI IDs.
    for id in [0xc400_0033u64, 0xc400_003f, 0x8400_0020, 0x8400_0021] {
        assert_eq!(
            vm.call_id(0, id, &[0, 0, 0, 0, 0]),
            0xffff_ffff_ffff_ffff,
            "{id:#x}"
        );
    }
    assert_eq!(vm.states[0], before);
}

#[test]
fn the_trace_report_says_what_each_call_did() {
    use sdei::call::Traced;

    let mut vm = registered_enabled();
    let report = |vm: &mut Machine, function: sdei::abi::Function, args: &[u64]| {
        let traced = Traced::before(&vm.states[0], u64::from(function.id()));
        vm.call(0, function, args);
        traced.after(&vm.states[0], vm.regs[0].x[0])
    };
    // SIGNAL to itself: answers 0, then enters event 0.
    let r = report(&mut vm, EventSignal, &[EV0, mpidr(0)]);
    assert_eq!((r.function_id, r.answer), (0xc400_002f, 0));
    assert_eq!(
        (r.completed, r.entered),
        (None, Some(Event::SOFTWARE_SIGNALLED))
    );
    // COMPLETE_AND_RESUME: completes event 0, resumed, answers nothing.
    let r = report(&mut vm, EventCompleteAndResume, &[0x8000]);
    assert_eq!(r.function_id, 0xc400_0026);
    assert_eq!((r.answer, r.entered), (0, None));
    assert_eq!(r.completed, Some((Event::SOFTWARE_SIGNALLED, true)));
    // COMPLETE with another signal pending: completes, and enters again.
    vm.signal(0, 0);
    vm.signal(1, 0);
    let r = report(&mut vm, EventComplete, &[0]);
    assert_eq!(r.completed, Some((Event::SOFTWARE_SIGNALLED, false)));
    assert_eq!(r.entered, Some(Event::SOFTWARE_SIGNALLED));
    // COMPLETE outside a handler: denied, nothing completed or entered.
    vm.call(0, EventComplete, &[0]);
    let r = report(&mut vm, EventComplete, &[0]);
    assert_eq!(
        (r.answer, r.completed, r.entered),
        ((-3i64) as u64, None, None)
    );
    // STATUS: answers the state.
    let r = report(&mut vm, EventStatus, &[EV0]);
    assert_eq!((r.answer, r.completed, r.entered), (0b011, None, None));
}
