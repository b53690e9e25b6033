// SPDX-License-Identifier: GPL-2.0

//! Every reachable state of one vCPU, every step from each, against a
//! reference model.
//!
//! The reference is written from TF-A's handler state table
//! (`services/std_svc/sdei/sdei_state.c`, DEN0054 §6.1) and its dispatcher
//! (`sdei_main.c`, `sdei_intr_mgmt.c`), as `Documentation/guest-abi.rst`
//! states them; it shares no code with the core. A vCPU's state is what
//! its migration STATUS register says (mask, each event's handler state,
//! each pending signal), decoded here from the documented layout. From
//! every state reached, each step below is taken on the core and on the
//! reference, which must agree on the value the guest sees and on the next
//! state. Breadth first, until no new state appears.

mod common;

use std::collections::{BTreeMap, VecDeque};

use common::{mpidr, Machine, ENTRY};
use sdei::abi::Function::{self, *};
use sdei::event::Event;
use sdei::regs::{self, Reg, IDS};

/// Handler states as TF-A encodes them: registered 1, enabled 2, running 4.
const G: u8 = 1;
const E: u8 = 2;
const R: u8 = 4;
/// A transition TF-A's table forbids.
const X: Option<u8> = None;

/// TF-A's table, for the states that exist (0, 1, 3, 4, 5, 7).
fn table(state: u8, action: Action) -> Option<u8> {
    use Action::*;
    let nop = Some(state);
    match (action, state) {
        (Register, 0) => Some(G),
        (Register, _) => X,
        (Enable, 1) => Some(E | G),
        (Enable, 5) => Some(R | E | G),
        (Enable, 3 | 7) => nop,
        (Enable, _) => X,
        (Disable, 3) => Some(G),
        (Disable, 7) => Some(R | G),
        (Disable, 1 | 5) => nop,
        (Disable, _) => X,
        (Unregister, 1 | 3) => Some(0),
        (Unregister, 5 | 7) => Some(R),
        (Unregister, _) => X,
        (Complete, 4) => Some(0),
        (Complete, 5) => Some(G),
        (Complete, 7) => Some(E | G),
        (Complete, _) => X,
        (Dispatch, 3) => Some(R | E | G),
        (Dispatch, _) => X,
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Register,
    Enable,
    Disable,
    Unregister,
    Complete,
    Dispatch,
}

/// A vCPU as the reference sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Model {
    masked: bool,
    /// Handler state per event slot (event 0, async PF).
    state: [u8; 2],
    /// Pending signal per event slot.
    pending: [bool; 2],
}

impl Model {
    /// Decodes STATUS: bit 0 masked, a byte per slot from bit 8 with the
    /// handler state in bits 0-2 and pending in bit 3.
    fn from_status(value: u64) -> Self {
        let byte = |slot: usize| (value >> (8 * (slot + 1))) as u8;
        Self {
            masked: value & 1 != 0,
            state: [byte(0) & 7, byte(1) & 7],
            pending: [byte(0) & 8 != 0, byte(1) & 8 != 0],
        }
    }

    fn running(&self) -> Option<usize> {
        (0..2).find(|&slot| self.state[slot] & R != 0)
    }

    /// A signal is held only while the event is registered.
    fn drop_unregistered(&mut self) {
        for slot in 0..2 {
            if self.state[slot] & G == 0 {
                self.pending[slot] = false;
            }
        }
    }

    /// Enters the first deliverable event, in table order, if any.
    fn deliver(&mut self) -> bool {
        if self.masked || self.running().is_some() {
            return false;
        }
        for slot in 0..2 {
            if self.pending[slot] && self.state[slot] == E | G {
                self.state[slot] = table(self.state[slot], Action::Dispatch).unwrap();
                self.pending[slot] = false;
                return true;
            }
        }
        false
    }
}

const INVALID: i64 = -2;
const DENIED: i64 = -3;
const PENDING: i64 = -5;
const OUT_OF_RESOURCE: i64 = -10;
const EV0: u64 = 0;
const APF: u64 = 0x4040_0001;
const UNKNOWN: u64 = 0x4040_0002;

/// Event number to slot, as the guest names events (low 32 bits).
fn slot(number: u64) -> Option<usize> {
    match number as u32 {
        0 => Some(0),
        0x4040_0001 => Some(1),
        _ => None,
    }
}

/// One step on the vCPU under test (vCPU 0 of two).
#[derive(Clone, Copy, Debug)]
enum Step {
    Call(Function, [u64; 5]),
    /// vCPU 1 signals event 0 to vCPU 0.
    SignalFromPeer,
    /// The host injects the async PF event.
    Inject,
    /// KVM enters the vCPU.
    Enter,
    /// KVM resets the vCPU.
    Reset,
}

fn steps() -> Vec<Step> {
    let me = mpidr(0);
    let mut steps = vec![Step::SignalFromPeer, Step::Inject, Step::Enter, Step::Reset];
    let call = |f, args: &[u64]| {
        let mut a = [0; 5];
        a[..args.len()].copy_from_slice(args);
        Step::Call(f, a)
    };
    for ev in [EV0, APF, UNKNOWN, 1 << 32] {
        steps.extend([
            call(EventRegister, &[ev, ENTRY, 7, 0, 0]),
            call(EventEnable, &[ev]),
            call(EventDisable, &[ev]),
            call(EventUnregister, &[ev]),
            call(EventStatus, &[ev]),
            call(EventGetInfo, &[ev, 1]),
            call(EventSignal, &[ev, me]),
            call(EventRoutingSet, &[ev, 0, 0]),
            call(InterruptRelease, &[ev]),
        ]);
    }
    steps.extend([
        call(EventRegister, &[EV0, 0, 7, 0, 0]),
        call(EventRegister, &[EV0, ENTRY, 7, 2, 0]),
        call(EventRegister, &[EV0, ENTRY, 7, 1, 0x0ff0_0000]),
        call(EventRegister, &[EV0, ENTRY, 7, 1, me]),
        call(EventContext, &[3]),
        call(EventContext, &[18]),
        call(EventComplete, &[0]),
        call(EventCompleteAndResume, &[0x8000]),
        call(PeMask, &[]),
        call(PeUnmask, &[]),
        call(EventSignal, &[EV0, 0x0ff0_0000]),
        call(EventSignal, &[EV0, mpidr(1)]),
        call(PrivateReset, &[]),
        call(SharedReset, &[]),
        call(Version, &[]),
        call(Features, &[0]),
        call(Features, &[1]),
        call(InterruptBind, &[15]),
        call(InterruptBind, &[16]),
    ]);
    steps
}

/// What the reference says a step does: x0 as the call answers it (for a
/// call that returns), and the next state.
fn reference(mut m: Model, step: Step) -> (Option<i64>, Model) {
    let x0 = match step {
        Step::SignalFromPeer => {
            if m.state[0] & G != 0 {
                m.pending[0] = true;
            }
            None
        }
        Step::Inject => {
            if !m.masked && m.state[1] & (G | E) == G | E {
                m.pending[1] = true;
            }
            None
        }
        Step::Enter => {
            m.deliver();
            return (None, m);
        }
        Step::Reset => {
            return (
                None,
                Model {
                    masked: true,
                    state: [0; 2],
                    pending: [false; 2],
                },
            );
        }
        Step::Call(function, a) => Some(reference_call(&mut m, function, a)),
    };
    if let Step::Call(..) = step {
        m.drop_unregistered();
        m.deliver();
    }
    (x0, m)
}

fn reference_call(m: &mut Model, function: Function, a: [u64; 5]) -> i64 {
    let event = slot(a[0]);
    let transition = |m: &mut Model, action| -> i64 {
        let Some(s) = event else { return INVALID };
        match table(m.state[s], action) {
            Some(next) => {
                m.state[s] = next;
                0
            }
            None => DENIED,
        }
    };
    let routing_ok = |flags: u64, aff: u64| flags == 0 || (flags == 1 && aff & 0xff_00ff_ffff < 2);
    match function {
        Version => (1 << 48) | (1 << 32),
        EventRegister => {
            if a[1] == 0 || !routing_ok(a[3], a[4]) {
                INVALID
            } else {
                transition(m, Action::Register)
            }
        }
        EventEnable => transition(m, Action::Enable),
        EventDisable => transition(m, Action::Disable),
        EventUnregister => {
            let Some(s) = event else { return INVALID };
            match table(m.state[s], Action::Unregister) {
                Some(next) => {
                    m.state[s] = next;
                    if next & R != 0 {
                        PENDING
                    } else {
                        0
                    }
                }
                None if m.state[s] & R != 0 => PENDING,
                None => DENIED,
            }
        }
        EventStatus => event.map_or(INVALID, |s| i64::from(m.state[s])),
        EventGetInfo => match event {
            None => INVALID,
            // Query 1, TF-A's "not signalable": 0 for event 0 only.
            Some(s) => s as i64,
        },
        EventContext => match (a[0] as u32, m.running()) {
            (i, _) if i >= 18 => INVALID,
            (_, None) => DENIED,
            (_, Some(_)) => i64::MIN, // the saved register: checked apart
        },
        EventComplete | EventCompleteAndResume => match m.running() {
            None => DENIED,
            Some(s) => {
                m.state[s] = table(m.state[s], Action::Complete).unwrap();
                i64::MAX // does not return: checked apart
            }
        },
        EventRoutingSet | InterruptRelease => INVALID,
        PeMask => {
            let was_unmasked = !m.masked;
            m.masked = true;
            i64::from(was_unmasked)
        }
        PeUnmask => {
            m.masked = false;
            0
        }
        InterruptBind => {
            if (a[0] as u32) < 16 {
                INVALID
            } else {
                OUT_OF_RESOURCE
            }
        }
        EventSignal => match (event, a[1] & 0xff_00ff_ffff) {
            (Some(0), 0) => {
                if m.state[0] & G != 0 {
                    m.pending[0] = true;
                }
                0
            }
            (Some(0), 1) => 0,
            _ => INVALID,
        },
        Features => {
            if a[0] as u32 == 0 {
                0
            } else {
                INVALID
            }
        }
        PrivateReset => {
            let mut result = 0;
            for s in 0..2 {
                match table(m.state[s], Action::Unregister) {
                    Some(next) => {
                        m.state[s] = next;
                        if next & R != 0 {
                            result = DENIED;
                        }
                    }
                    None if m.state[s] & R != 0 => result = DENIED,
                    None => {}
                }
            }
            result
        }
        SharedReset => 0,
    }
}

/// A reached state: its registers, to set up the core there again.
type Saved = Vec<(Reg, u64)>;

fn save(vm: &Machine) -> Saved {
    IDS.iter()
        .map(|&id| {
            let reg = Reg::from_id(id).unwrap();
            (reg, regs::get(&vm.states[0], &vm.signals[0], reg))
        })
        .collect()
}

fn restore(saved: &Saved) -> Machine {
    let mut vm = Machine::new(2);
    vm.ready(1, Event::SOFTWARE_SIGNALLED);
    for &(reg, value) in saved {
        regs::set(&mut vm.states[0], &vm.signals[0], reg, value).unwrap();
    }
    vm
}

fn status(vm: &Machine) -> u64 {
    regs::get(&vm.states[0], &vm.signals[0], Reg::Status)
}

/// Takes `step` on the core; returns x0 as the call answered it.
fn take(vm: &mut Machine, step: Step) -> Option<u64> {
    match step {
        Step::SignalFromPeer => {
            vm.signal(1, 0);
            None
        }
        Step::Inject => {
            let _ = vm.signals[0].inject(Event::ASYNC_PF);
            None
        }
        Step::Enter => {
            vm.enter(0);
            None
        }
        Step::Reset => {
            vm.states[0].reset(&vm.signals[0]);
            None
        }
        Step::Call(function, args) => {
            let was_running = vm.states[0].running();
            let x0 = vm.call(0, function, &args);
            let entered = vm.states[0].running().is_some()
                && (was_running.is_none()
                    || matches!(function, EventComplete | EventCompleteAndResume));
            // A handler entered as the call returned holds the answer in
            // its saved context.
            Some(if entered {
                vm.states[0].context().gprs[0]
            } else {
                x0
            })
        }
    }
}

#[test]
fn every_reachable_state_and_step_matches_the_reference() {
    let steps = steps();
    let start = Machine::new(2);
    let mut seen: BTreeMap<u64, Saved> = BTreeMap::new();
    let mut queue = VecDeque::new();
    seen.insert(status(&start), save(&start));
    queue.push_back(status(&start));
    let mut transitions = 0;

    while let Some(key) = queue.pop_front() {
        let saved = seen[&key].clone();
        let model = Model::from_status(key);
        for &step in &steps {
            let mut vm = restore(&saved);
            let x0 = take(&mut vm, step);
            let (want_x0, want) = reference(model, step);
            let next = status(&vm);
            let what = format!("from {model:?} ({key:#x}), {step:?}");
            match (x0, want_x0) {
                (Some(_), Some(i64::MIN)) => {
                    // CONTEXT in a handler: the saved register.
                    assert_eq!(x0, Some(vm.states[0].context().gprs[3]), "{what}");
                }
                (Some(_), Some(i64::MAX)) => {} // COMPLETE: no x0 of its own
                (Some(got), Some(w)) => assert_eq!(got as i64, w, "{what}: x0"),
                (None, None) => {}
                _ => panic!("{what}: call and reference disagree on what ran"),
            }
            assert_eq!(Model::from_status(next), want, "{what}: next state");
            // And migration reproduces the state exactly.
            let moved = restore(&save(&vm));
            assert_eq!(status(&moved), next, "{what}: after migration");
            assert_eq!(moved.states[0], vm.states[0], "{what}: after migration");
            transitions += 1;
            if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(next) {
                slot.insert(save(&vm));
                queue.push_back(next);
            }
        }
    }
    println!(
        "exhaustive: {} states of one vCPU, {} steps each, {} transitions checked",
        seen.len(),
        steps.len(),
        transitions
    );
    // Every handler state of both events, masked or not, with and without a
    // pending signal where one can be held, minus two running handlers.
    assert!(seen.len() >= 100, "only {} states reached", seen.len());
}
