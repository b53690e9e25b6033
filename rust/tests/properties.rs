// SPDX-License-Identifier: GPL-2.0

//! Random call sequences on several vCPUs, with the core's invariants
//! checked after every step (see `common/model.rs`).

mod common;

use common::model::{run, Step, VCPUS};
use common::mpidr;
use proptest::prelude::*;
use sdei::abi::Function;
use sdei::event::{Event, ASYNC_PF_NUMBER};

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
        1 => cpu.clone().prop_map(|cpu| Step::Reset { cpu }),
        1 => (cpu, any::<u64>()).prop_map(|(cpu, seed)| Step::Migrate { cpu, seed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_call_sequences_keep_the_invariants(steps in prop::collection::vec(step(), 1..80)) {
        run(&steps);
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
    run(&steps);
}
