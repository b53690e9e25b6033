// SPDX-License-Identifier: GPL-2.0

//! A model run of the core: a sequence of steps on a VM of test vCPUs,
//! with the core's invariants checked after every step. The property
//! tests and the fuzz target both drive it; it panics on a violation.

use super::{Machine, Regs};
use sdei::abi::Function;
use sdei::event::Event;
use sdei::regs::{self, Reg, IDS};
use sdei::signals::Signals;
use sdei::state::EventState;
use sdei::vcpu_state::VcpuState;

fn registered_bits(state: &VcpuState) -> u8 {
    Event::all()
        .filter(|&event| state.registration(event).state.is_registered())
        .fold(0, |bits, event| bits | event.bit())
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
                assert_eq!(&state.context.gprs[..], &regs.x[..18]);
                assert_eq!(state.context.pc, regs.pc);
                assert_eq!(state.context.pstate, regs.pstate);
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
        // What other threads see matches the state.
        assert_eq!(vm.signals[cpu].accepting(), state.accepting());
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
                let before = vm.regs[cpu].clone();
                let was_running = vm.states[cpu].running().is_some();
                vm.call(cpu, function, &args);
                let completes = matches!(
                    function,
                    Function::EventComplete | Function::EventCompleteAndResume
                );
                if completes && was_running {
                    let interrupted = shadows[cpu].interrupted.take().unwrap();
                    let after = &vm.regs[cpu];
                    assert_eq!(&after.x[..18], &interrupted.x[..18]);
                    if function == Function::EventComplete {
                        assert_eq!(after.pc, interrupted.pc);
                        assert_eq!(after.pstate, interrupted.pstate);
                    } else {
                        assert_eq!(after.pc, args[0]);
                        assert_eq!(after.elr_el1, interrupted.pc);
                        assert_eq!(after.spsr_el1, interrupted.pstate);
                    }
                } else {
                    // Any other call changes x0 only.
                    let after = &vm.regs[cpu];
                    assert_eq!(&after.x[6..], &before.x[6..]);
                    assert_eq!((after.pc, after.pstate), (before.pc, before.pstate));
                }
            }
            Step::Ready { cpu, event } => {
                let number = u64::from(event.info().number);
                vm.call(
                    cpu,
                    Function::EventRegister,
                    &[number, super::ENTRY, 9, 0, 0],
                );
                vm.call(cpu, Function::EventEnable, &[number]);
                vm.call(cpu, Function::PeUnmask, &[]);
            }
            Step::Signal { from, to } => {
                let accepts = vm.states[to].accepting() & Event::SOFTWARE_SIGNALLED.bit() != 0;
                let x0 = vm.signal(from, to);
                assert_eq!(x0 == 0, accepts, "SIGNAL {} -> {}", from, to);
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
                let accepted = vm.signals[cpu].raise(Event::ASYNC_PF).is_ok();
                assert_eq!(
                    accepted,
                    vm.states[cpu].accepting() & Event::ASYNC_PF.bit() != 0
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
                    assert_eq!(
                        regs::set(&mut state, &signals, reg, value),
                        Ok(()),
                        "{reg:?}"
                    );
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
