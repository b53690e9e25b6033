// SPDX-License-Identifier: GPL-2.0

//! A model run of the core: a sequence of steps on a VM of test vCPUs,
//! with the core's invariants checked after every step. The property
//! tests and the fuzz target both drive it; it panics on a violation.

use super::{Machine, Regs};
use sdei::abi::Function;
use sdei::call::Traced;
use sdei::event::Event;
use sdei::event_state::EventState;
use sdei::regs::{self, Reg, IDS};
use sdei::signals::Signals;
use sdei::vcpu_state::VcpuState;

fn registered_bits(state: &VcpuState) -> u8 {
    Event::all()
        .filter(|&event| state.registration(event).state.is_registered())
        .fold(0, |bits, event| bits | event.bit())
}

/// The events a vCPU takes now, by the contract: registered and enabled,
/// on an unmasked vCPU.
fn accepting_bits(state: &VcpuState) -> u8 {
    if state.masked() {
        return 0;
    }
    Event::all()
        .filter(|&event| {
            matches!(
                state.registration(event).state,
                EventState::Registered { enabled: true } | EventState::Running { enabled: true }
            )
        })
        .fold(0, |bits, event| bits | event.bit())
}

/// Makes a call as KVM does, checks what it did to the registers, and
/// keeps the shadow up to date; returns x0 as the call answered it (a
/// handler the call made deliverable may have been entered since).
fn call(
    vm: &mut Machine,
    shadows: &mut [Shadow],
    cpu: usize,
    function: Function,
    args: &[u64],
) -> u64 {
    let before = vm.regs[cpu].clone();
    let running_before = vm.states[cpu].running();
    let was_running = running_before.is_some();
    let deliverable_before = vm.states[cpu].deliverable(&vm.signals[cpu]);
    let traced = Traced::before(&vm.states[cpu], u64::from(function.id()));
    vm.call(cpu, function, args);
    let report = traced.after(&vm.states[cpu], vm.regs[cpu].x[0]);
    let completed = was_running
        && matches!(
            function,
            Function::EventComplete | Function::EventCompleteAndResume
        );
    let running = vm.states[cpu].running();
    let entered = running.is_some() && (!was_running || completed);

    // The registers as the call left them, before any handler entry.
    let mut answered = vm.regs[cpu].clone();
    if let (true, Some(event)) = (entered, running) {
        let state = &vm.states[cpu];
        let context = *state.context();
        let registration = state.registration(event);
        let after = &vm.regs[cpu];
        assert_eq!(after.x[0], u64::from(event.info().number));
        assert_eq!(after.x[1], registration.arg);
        assert_eq!((after.x[2], after.x[3]), (context.pc, context.pstate));
        assert_eq!(after.pc, registration.entry);
        assert_eq!(&after.x[4..], &context_or(&answered, &context).x[4..]);
        answered = context_or(&answered, &context);
    }

    if completed {
        let interrupted = shadows[cpu].interrupted.take().unwrap();
        assert_eq!(&answered.x[..18], &interrupted.x[..18]);
        if function == Function::EventComplete {
            assert_eq!(answered.pc, interrupted.pc);
            assert_eq!(answered.pstate, interrupted.pstate);
        } else {
            assert_eq!(answered.pc, args[0]);
            assert_eq!(answered.elr_el1, interrupted.pc);
            assert_eq!(answered.spsr_el1, interrupted.pstate);
        }
    } else {
        // Any other call changes x0 only.
        assert_eq!(&answered.x[6..], &before.x[6..]);
        assert_eq!((answered.pc, answered.pstate), (before.pc, before.pstate));
    }
    if entered {
        shadows[cpu].interrupted = Some(answered.clone());
    }
    // What the tracepoints would report says what happened.
    assert_eq!(report.function_id, function.id());
    let resumed = function == Function::EventCompleteAndResume;
    assert_eq!(
        report.completed,
        running_before
            .filter(|_| completed)
            .map(|event| (event, resumed))
    );
    assert_eq!(report.entered, running.filter(|_| entered));
    let want_answer = if completed { 0 } else { answered.x[0] };
    assert_eq!(report.answer, want_answer, "{function:?} report");

    // Whatever the call made deliverable on the caller, it entered. (What
    // another thread made deliverable meanwhile waits for the kick.)
    if deliverable_before.is_none() {
        assert_eq!(vm.states[cpu].deliverable(&vm.signals[cpu]), None);
    }
    answered.x[0]
}

/// `regs` with x0-x17, PC and PSTATE from `context`.
fn context_or(regs: &Regs, context: &sdei::vcpu_state::Context) -> Regs {
    let mut regs = regs.clone();
    regs.x[..18].copy_from_slice(&context.gprs);
    regs.pc = context.pc;
    regs.pstate = context.pstate;
    regs
}

/// vCPUs in a model run.
pub const VCPUS: usize = 3;

/// One thing that can happen to the VM.
#[derive(Clone, Debug)]
pub enum Step {
    /// A vCPU makes an SDEI call.
    Call {
        cpu: usize,
        function: Function,
        args: [u64; 5],
    },
    /// A vCPU registers and enables an event with valid arguments, and
    /// unmasks (each call may still fail, depending on the state).
    Ready { cpu: usize, event: Event },
    /// A vCPU signals event 0 to a vCPU that exists.
    Signal { from: usize, to: usize },
    /// Guest code (a handler or not) overwrites every GPR.
    Scribble { cpu: usize, seed: u64 },
    /// KVM is about to enter a vCPU.
    Enter { cpu: usize },
    /// The host raises the async PF event on a vCPU.
    Inject { cpu: usize },
    /// KVM resets a vCPU.
    Reset { cpu: usize },
    /// The VMM saves every SDEI register of a vCPU and restores them, in
    /// an order `seed` shuffles, into a fresh vCPU that replaces it.
    Migrate { cpu: usize, seed: u64 },
}

/// What the test remembers of each vCPU to check the core against.
#[derive(Clone, Default)]
struct Shadow {
    /// The registers at the last delivery, while a handler runs.
    interrupted: Option<Regs>,
}

fn check_invariants(vm: &Machine, shadows: &[Shadow]) {
    for (cpu, shadow) in shadows.iter().enumerate() {
        let state = &vm.states[cpu];
        let running = Event::all()
            .filter(|&event| state.registration(event).state.is_running())
            .count();
        assert!(running <= 1, "cpu {}: {} handlers running", cpu, running);
        // A running handler has exactly the context its delivery saved.
        match (&shadow.interrupted, state.running()) {
            (Some(regs), Some(_)) => {
                assert_eq!(&state.context().gprs[..], &regs.x[..18]);
                assert_eq!(state.context().pc, regs.pc);
                assert_eq!(state.context().pstate, regs.pstate);
            }
            (None, None) => {}
            (shadow, running) => panic!(
                "cpu {cpu}: shadow {:?} but running {running:?}",
                shadow.is_some()
            ),
        }
        // An unregistered event has no handler address left behind.
        for event in Event::all() {
            let registration = state.registration(event);
            if registration.state == EventState::Unregistered {
                assert_eq!((registration.entry, registration.arg), (0, 0));
            }
        }
        // What other threads see matches the state, and only registered
        // events have a signal pending.
        assert_eq!(vm.signals[cpu].accepting(), accepting_bits(state));
        assert_eq!(vm.signals[cpu].registered(), registered_bits(state));
        assert_eq!(vm.signals[cpu].pending() & !registered_bits(state), 0);
    }
}

pub fn run(steps: &[Step]) {
    let mut vm = Machine::new(VCPUS);
    let mut shadows = vec![Shadow::default(); VCPUS];

    for step in steps.iter().cloned() {
        match step {
            Step::Call {
                cpu,
                function,
                args,
            } => {
                call(&mut vm, &mut shadows, cpu, function, &args);
            }
            Step::Ready { cpu, event } => {
                let number = u64::from(event.info().number);
                let args = [number, super::ENTRY, 9, 0, 0];
                call(&mut vm, &mut shadows, cpu, Function::EventRegister, &args);
                call(&mut vm, &mut shadows, cpu, Function::EventEnable, &[number]);
                call(&mut vm, &mut shadows, cpu, Function::PeUnmask, &[]);
            }
            Step::Signal { from, to } => {
                // Whatever the target's state, as TF-A.
                let args = [0, super::mpidr(to)];
                let x0 = call(&mut vm, &mut shadows, from, Function::EventSignal, &args);
                assert_eq!(x0, 0, "SIGNAL {from} -> {to}");
            }
            Step::Scribble { cpu, seed } => {
                for (n, reg) in vm.regs[cpu].x.iter_mut().enumerate() {
                    *reg = seed.rotate_left(n as u32) ^ n as u64;
                }
            }
            Step::Enter { cpu } => {
                let before = vm.regs[cpu].clone();
                let deliverable = vm.states[cpu].deliverable(&vm.signals[cpu]);
                let delivered = vm.enter(cpu);
                if delivered.is_some() {
                    assert!(deliverable.is_some() || vm.signals[cpu].pending() == 0);
                    shadows[cpu].interrupted = Some(before);
                } else {
                    assert_eq!(&vm.regs[cpu], &before);
                }
                // After a delivery check, only registered events are pending.
                let state = &vm.states[cpu];
                for event in Event::all() {
                    if vm.signals[cpu].pending() & event.bit() != 0 {
                        assert!(state.registration(event).state.is_registered());
                    }
                }
            }
            Step::Inject { cpu } => {
                let accepted = vm.signals[cpu].inject(Event::ASYNC_PF).is_ok();
                assert_eq!(
                    accepted,
                    accepting_bits(&vm.states[cpu]) & Event::ASYNC_PF.bit() != 0
                );
            }
            Step::Migrate { cpu, seed } => {
                let saved: Vec<(Reg, u64)> = IDS
                    .iter()
                    .map(|&id| {
                        let reg = Reg::from_id(id).unwrap();
                        (reg, regs::get(&vm.states[cpu], &vm.signals[cpu], reg))
                    })
                    .collect();
                let mut order: Vec<usize> = (0..saved.len()).collect();
                let mut rng = seed | 1;
                for i in (1..order.len()).rev() {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    order.swap(i, (rng % (i as u64 + 1)) as usize);
                }
                let mut state = VcpuState::new();
                let signals = Signals::new();
                for &i in &order {
                    let (reg, value) = saved[i];
                    let kick = regs::set(&mut state, &signals, reg, value);
                    assert_eq!(kick, Ok(state.deliverable(&signals).is_some()), "{reg:?}");
                }
                for &(reg, value) in &saved {
                    assert_eq!(regs::get(&state, &signals, reg), value, "{reg:?} read back");
                }
                // What the guest can observe is the same: registrations,
                // mask, context, and the pending signals it can still take.
                let old_registered = registered_bits(&vm.states[cpu]);
                assert_eq!(state, vm.states[cpu]);
                assert_eq!(
                    signals.pending(),
                    vm.signals[cpu].pending() & old_registered
                );
                assert_eq!(signals.accepting(), vm.signals[cpu].accepting());
                vm.states[cpu] = state;
                vm.signals[cpu] = signals;
            }
            Step::Reset { cpu } => {
                vm.states[cpu].reset(&vm.signals[cpu]);
                shadows[cpu].interrupted = None;
                assert_eq!(&vm.states[cpu], &VcpuState::new());
                assert_eq!(vm.signals[cpu].pending(), 0);
            }
        }
        check_invariants(&vm, &shadows);
    }
}
