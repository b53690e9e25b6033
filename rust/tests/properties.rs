// SPDX-License-Identifier: GPL-2.0

//! Random call sequences on several vCPUs, with the core's invariants
//! checked after every step.

mod common;

use common::{mpidr, Machine, Regs};
use proptest::prelude::*;
use sdei::abi::Function;
use sdei::event::{Event, ASYNC_PF_NUMBER};
use sdei::state::EventState;
use sdei::vcpu_state::VcpuState;

const VCPUS: usize = 3;

/// One thing that can happen to the VM.
#[derive(Clone, Debug)]
enum Step {
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
}

/// Arguments drawn mostly from values that mean something.
fn arg() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::from(ASYNC_PF_NUMBER)),
        (0..VCPUS + 1).prop_map(mpidr),
        0u64..20,
        Just(common::ENTRY),
        any::<u64>(),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let cpu = 0..VCPUS;
    prop_oneof![
        6 => (cpu.clone(), prop::sample::select(Function::ALL.to_vec()), prop::array::uniform5(arg()))
            .prop_map(|(cpu, function, args)| Step::Call { cpu, function, args }),
        2 => (cpu.clone(), prop::sample::select(vec![Event::SOFTWARE_SIGNALLED, Event::ASYNC_PF]))
            .prop_map(|(cpu, event)| Step::Ready { cpu, event }),
        2 => (cpu.clone(), cpu.clone()).prop_map(|(from, to)| Step::Signal { from, to }),
        2 => (cpu.clone(), any::<u64>()).prop_map(|(cpu, seed)| Step::Scribble { cpu, seed }),
        3 => cpu.clone().prop_map(|cpu| Step::Enter { cpu }),
        1 => cpu.clone().prop_map(|cpu| Step::Inject { cpu }),
        1 => cpu.prop_map(|cpu| Step::Reset { cpu }),
    ]
}

/// What the test remembers of each vCPU to check the core against.
#[derive(Clone, Default)]
struct Shadow {
    /// The registers at the last delivery, while a handler runs.
    interrupted: Option<Regs>,
}

fn check_invariants(vm: &Machine, shadows: &[Shadow]) -> Result<(), TestCaseError> {
    for (cpu, shadow) in shadows.iter().enumerate() {
        let state = &vm.states[cpu];
        let running = Event::all()
            .filter(|&event| state.registration(event).state.is_running())
            .count();
        prop_assert!(running <= 1, "cpu {}: {} handlers running", cpu, running);
        // A running handler has exactly the context its delivery saved.
        match (&shadow.interrupted, state.running()) {
            (Some(regs), Some(_)) => {
                prop_assert_eq!(&state.context.gprs[..], &regs.x[..18]);
                prop_assert_eq!(state.context.pc, regs.pc);
                prop_assert_eq!(state.context.pstate, regs.pstate);
            }
            (None, None) => {}
            (shadow, running) => prop_assert!(
                false,
                "cpu {}: shadow {:?} but running {:?}",
                cpu,
                shadow.is_some(),
                running
            ),
        }
        // An unregistered event has no handler address left behind.
        for event in Event::all() {
            let registration = state.registration(event);
            if registration.state == EventState::Unregistered {
                prop_assert_eq!((registration.entry, registration.arg), (0, 0));
            }
        }
        // What other threads see matches the state.
        prop_assert_eq!(vm.signals[cpu].accepting(), state.accepting());
    }
    Ok(())
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut vm = Machine::new(VCPUS);
    let mut shadows = vec![Shadow::default(); VCPUS];

    for step in steps {
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
                    prop_assert_eq!(&after.x[..18], &interrupted.x[..18]);
                    if function == Function::EventComplete {
                        prop_assert_eq!(after.pc, interrupted.pc);
                        prop_assert_eq!(after.pstate, interrupted.pstate);
                    } else {
                        prop_assert_eq!(after.pc, args[0]);
                        prop_assert_eq!(after.elr_el1, interrupted.pc);
                        prop_assert_eq!(after.spsr_el1, interrupted.pstate);
                    }
                } else {
                    // Any other call changes x0 only.
                    let after = &vm.regs[cpu];
                    prop_assert_eq!(&after.x[6..], &before.x[6..]);
                    prop_assert_eq!((after.pc, after.pstate), (before.pc, before.pstate));
                }
            }
            Step::Ready { cpu, event } => {
                let number = u64::from(event.info().number);
                vm.call(
                    cpu,
                    Function::EventRegister,
                    &[number, common::ENTRY, 9, 0, 0],
                );
                vm.call(cpu, Function::EventEnable, &[number]);
                vm.call(cpu, Function::PeUnmask, &[]);
            }
            Step::Signal { from, to } => {
                let accepts = vm.states[to].accepting() & Event::SOFTWARE_SIGNALLED.bit() != 0;
                let x0 = vm.signal(from, to);
                prop_assert_eq!(x0 == 0, accepts, "SIGNAL {} -> {}", from, to);
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
                    prop_assert!(deliverable.is_some() || vm.signals[cpu].pending() == 0);
                    shadows[cpu].interrupted = Some(before);
                } else {
                    prop_assert_eq!(&vm.regs[cpu], &before);
                }
                // After a delivery check, only registered events are pending.
                let state = &vm.states[cpu];
                for event in Event::all() {
                    if vm.signals[cpu].pending() & event.bit() != 0 {
                        prop_assert!(state.registration(event).state.is_registered());
                    }
                }
            }
            Step::Inject { cpu } => {
                let accepted = vm.signals[cpu].raise(Event::ASYNC_PF).is_ok();
                prop_assert_eq!(
                    accepted,
                    vm.states[cpu].accepting() & Event::ASYNC_PF.bit() != 0
                );
            }
            Step::Reset { cpu } => {
                vm.states[cpu].reset(&vm.signals[cpu]);
                shadows[cpu].interrupted = None;
                prop_assert_eq!(&vm.states[cpu], &VcpuState::new());
                prop_assert_eq!(vm.signals[cpu].pending(), 0);
            }
        }
        check_invariants(&vm, &shadows)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_call_sequences_keep_the_invariants(steps in prop::collection::vec(step(), 1..80)) {
        run(steps)?;
    }
}

/// A sequence that reaches every state, so the generator is not the only
/// thing between the invariants and a green run.
#[test]
fn a_known_sequence_through_every_state_keeps_the_invariants() {
    use Function::*;
    let steps = vec![
        Step::Call {
            cpu: 0,
            function: EventRegister,
            args: [0, common::ENTRY, 5, 0, 0],
        },
        Step::Call {
            cpu: 0,
            function: EventEnable,
            args: [0; 5],
        },
        Step::Call {
            cpu: 0,
            function: PeUnmask,
            args: [0; 5],
        },
        Step::Scribble {
            cpu: 0,
            seed: 0xfeed_f00d_dead_beef,
        },
        Step::Call {
            cpu: 1,
            function: EventSignal,
            args: [0, mpidr(0), 0, 0, 0],
        },
        Step::Enter { cpu: 0 },
        Step::Scribble {
            cpu: 0,
            seed: 0x0123_4567_89ab_cdef,
        },
        Step::Call {
            cpu: 0,
            function: EventDisable,
            args: [0; 5],
        },
        Step::Call {
            cpu: 0,
            function: EventUnregister,
            args: [0; 5],
        },
        Step::Call {
            cpu: 0,
            function: EventComplete,
            args: [0; 5],
        },
        Step::Reset { cpu: 0 },
    ];
    run(steps).unwrap();
}
