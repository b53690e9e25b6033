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

/// The steps of vCPU `me` (0 or 1); the other one is its peer.
fn steps(me: usize) -> Vec<Step> {
    let peer = mpidr(1 - me);
    let me = mpidr(me);
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
        call(EventSignal, &[EV0, peer]),
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
fn reference(m: Model, step: Step) -> (Option<i64>, Model) {
    let (x0, m, _) = reference_on(m, 0, step);
    (x0, m)
}

/// `reference` for vCPU `me`; also says whether the step was a SIGNAL of
/// event 0 to the peer that firmware accepted.
fn reference_on(mut m: Model, me: u64, step: Step) -> (Option<i64>, Model, bool) {
    let mut to_peer = false;
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
            return (None, m, false);
        }
        Step::Reset => {
            return (
                None,
                Model {
                    masked: true,
                    state: [0; 2],
                    pending: [false; 2],
                },
                false,
            );
        }
        Step::Call(function, a) => {
            let x0 = reference_call(&mut m, me, function, a);
            to_peer = function == EventSignal && x0 == 0 && a[1] & 0xff_00ff_ffff == 1 - me;
            Some(x0)
        }
    };
    if let Step::Call(..) = step {
        m.drop_unregistered();
        m.deliver();
    }
    (x0, m, to_peer)
}

fn reference_call(m: &mut Model, me: u64, function: Function, a: [u64; 5]) -> i64 {
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
            (Some(0), target) if target == me => {
                if m.state[0] & G != 0 {
                    m.pending[0] = true;
                }
                0
            }
            // The peer: what becomes of it is the peer's state's business.
            (Some(0), target) if target == 1 - me => 0,
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
    take_on(vm, 0, step)
}

/// Takes `step` on vCPU `cpu` of the core.
fn take_on(vm: &mut Machine, cpu: usize, step: Step) -> Option<u64> {
    match step {
        Step::SignalFromPeer => {
            vm.signal(1 - cpu, cpu);
            None
        }
        Step::Inject => {
            let _ = vm.signals[cpu].inject(Event::ASYNC_PF);
            None
        }
        Step::Enter => {
            vm.enter(cpu);
            None
        }
        Step::Reset => {
            vm.states[cpu].reset(&vm.signals[cpu]);
            None
        }
        Step::Call(function, args) => {
            let was_running = vm.states[cpu].running();
            let x0 = vm.call(cpu, function, &args);
            let entered = vm.states[cpu].running().is_some()
                && (was_running.is_none()
                    || matches!(function, EventComplete | EventCompleteAndResume));
            // A handler entered as the call returned holds the answer in
            // its saved context.
            Some(if entered {
                vm.states[cpu].context().gprs[0]
            } else {
                x0
            })
        }
    }
}

#[test]
fn every_reachable_state_and_step_matches_the_reference() {
    let steps = steps(0);
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

/// Both vCPUs' registers.
type SavedPair = [Saved; 2];

fn save_cpu(vm: &Machine, cpu: usize) -> Saved {
    IDS.iter()
        .map(|&id| {
            let reg = Reg::from_id(id).unwrap();
            (reg, regs::get(&vm.states[cpu], &vm.signals[cpu], reg))
        })
        .collect()
}

fn restore_pair(saved: &SavedPair) -> Machine {
    let mut vm = Machine::new(2);
    for (cpu, regs) in saved.iter().enumerate() {
        for &(reg, value) in regs {
            regs::set(&mut vm.states[cpu], &vm.signals[cpu], reg, value).unwrap();
        }
    }
    vm
}

fn status_pair(vm: &Machine) -> (u64, u64) {
    let status = |cpu: usize| regs::get(&vm.states[cpu], &vm.signals[cpu], Reg::Status);
    (status(0), status(1))
}

/// Two vCPUs, each taking every step, SIGNALs between them included: the
/// product of two single-vCPU explorations, plus what one vCPU's SIGNAL
/// does to the other. The peer's reaction is the reference's: a signal to
/// a vCPU with event 0 registered is held until that vCPU enters.
#[test]
fn two_vcpus_every_reachable_state_and_step_match_the_reference() {
    let steps: [Vec<Step>; 2] = [0, 1].map(|cpu| {
        steps(cpu)
            .into_iter()
            .filter(|step| !matches!(step, Step::SignalFromPeer))
            .collect()
    });
    let start = Machine::new(2);
    let mut seen: BTreeMap<(u64, u64), SavedPair> = BTreeMap::new();
    let mut queue = VecDeque::new();
    let key = status_pair(&start);
    seen.insert(key, [save_cpu(&start, 0), save_cpu(&start, 1)]);
    queue.push_back(key);
    let mut transitions = 0;

    while let Some(key) = queue.pop_front() {
        let saved = seen[&key].clone();
        let models = [Model::from_status(key.0), Model::from_status(key.1)];
        for cpu in 0..2 {
            for &step in &steps[cpu] {
                let mut vm = restore_pair(&saved);
                let x0 = take_on(&mut vm, cpu, step);
                let (want_x0, mine, to_peer) = reference_on(models[cpu], cpu as u64, step);
                let mut want = models;
                want[cpu] = mine;
                if to_peer && want[1 - cpu].state[0] & G != 0 {
                    want[1 - cpu].pending[0] = true;
                }
                let next = status_pair(&vm);
                let what = format!("from {models:?}, vCPU {cpu}: {step:?}");
                match (x0, want_x0) {
                    (Some(_), Some(i64::MIN)) => {
                        assert_eq!(x0, Some(vm.states[cpu].context().gprs[3]), "{what}");
                    }
                    (Some(_), Some(i64::MAX)) => {}
                    (Some(got), Some(w)) => assert_eq!(got as i64, w, "{what}: x0"),
                    (None, None) => {}
                    _ => panic!("{what}: call and reference disagree on what ran"),
                }
                let got = [Model::from_status(next.0), Model::from_status(next.1)];
                assert_eq!(got, want, "{what}: next states");
                transitions += 1;
                if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(next) {
                    slot.insert([save_cpu(&vm, 0), save_cpu(&vm, 1)]);
                    queue.push_back(next);
                }
            }
        }
    }
    println!(
        "exhaustive: {} states of two vCPUs, {} and {} steps each, {} transitions checked",
        seen.len(),
        steps[0].len(),
        steps[1].len(),
        transitions
    );
    // Every pair of single-vCPU states is reached but some where both
    // vCPUs wait to enter an event. A call enters the caller's waiting
    // event as it returns, so a vCPU signalled by its peer waits, and the
    // peer does not. Only the host's injection then leaves both waiting,
    // with the injected vCPU waiting on the async PF alone.
    let singles: std::collections::BTreeSet<u64> = seen.keys().map(|key| key.0).collect();
    assert_eq!(
        singles.len(),
        150,
        "one vCPU's states, as the single-vCPU test finds"
    );
    let waits = |status: u64| Model::from_status(status).deliver();
    let waits_on_async_pf_alone = |status: u64| {
        let m = Model::from_status(status);
        waits(status)
            && m.pending[1]
            && m.state[1] == E | G
            && !(m.pending[0] && m.state[0] == E | G)
    };
    for &a in &singles {
        for &b in &singles {
            let reachable =
                !(waits(a) && waits(b)) || waits_on_async_pf_alone(a) || waits_on_async_pf_alone(b);
            assert_eq!(
                seen.contains_key(&(a, b)),
                reachable,
                "{:?} with {:?}",
                Model::from_status(a),
                Model::from_status(b)
            );
        }
    }
}
