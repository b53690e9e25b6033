// SPDX-License-Identifier: GPL-2.0

//! Every cell of the event state machine (DEN0054 §6.1).

use sdei::abi::Error;
use sdei::event_state::{transition, Action, EventState};

use Action::*;
use EventState::*;

const STATES: [EventState; 6] = [
    Unregistered,
    Registered { enabled: false },
    Registered { enabled: true },
    Running { enabled: false },
    Running { enabled: true },
    UnregisterPending,
];
const ACTIONS: [Action; 7] = [
    Register, Enable, Disable, Unregister, Dispatch, Complete, Reset,
];

/// The allowed cells: (from, action, to).
const ALLOWED: &[(EventState, Action, EventState)] = &[
    (Unregistered, Register, Registered { enabled: false }),
    (Unregistered, Reset, Unregistered),
    (
        Registered { enabled: false },
        Enable,
        Registered { enabled: true },
    ),
    (
        Registered { enabled: true },
        Enable,
        Registered { enabled: true },
    ),
    (
        Registered { enabled: false },
        Disable,
        Registered { enabled: false },
    ),
    (
        Registered { enabled: true },
        Disable,
        Registered { enabled: false },
    ),
    (Registered { enabled: false }, Unregister, Unregistered),
    (Registered { enabled: true }, Unregister, Unregistered),
    (Registered { enabled: false }, Reset, Unregistered),
    (Registered { enabled: true }, Reset, Unregistered),
    (
        Registered { enabled: true },
        Dispatch,
        Running { enabled: true },
    ),
    (
        Running { enabled: false },
        Enable,
        Running { enabled: true },
    ),
    (Running { enabled: true }, Enable, Running { enabled: true }),
    (
        Running { enabled: false },
        Disable,
        Running { enabled: false },
    ),
    (
        Running { enabled: true },
        Disable,
        Running { enabled: false },
    ),
    (
        Running { enabled: false },
        Complete,
        Registered { enabled: false },
    ),
    (
        Running { enabled: true },
        Complete,
        Registered { enabled: true },
    ),
    (Running { enabled: false }, Unregister, UnregisterPending),
    (Running { enabled: true }, Unregister, UnregisterPending),
    (Running { enabled: false }, Reset, UnregisterPending),
    (Running { enabled: true }, Reset, UnregisterPending),
    (UnregisterPending, Unregister, UnregisterPending),
    (UnregisterPending, Complete, Unregistered),
    (UnregisterPending, Reset, UnregisterPending),
];

#[test]
fn allowed_cells_lead_where_the_spec_says() {
    for &(from, action, to) in ALLOWED {
        assert_eq!(transition(from, action), Ok(to), "{from:?} --{action:?}-->");
    }
}

#[test]
fn every_other_cell_is_denied() {
    let mut denied = 0;
    for from in STATES {
        for action in ACTIONS {
            if ALLOWED.iter().any(|&(f, a, _)| f == from && a == action) {
                continue;
            }
            assert_eq!(
                transition(from, action),
                Err(Error::Denied),
                "{from:?} --{action:?}-->"
            );
            denied += 1;
        }
    }
    assert_eq!(denied + ALLOWED.len(), STATES.len() * ACTIONS.len());
}

#[test]
fn status_bits_are_tf_a_handler_states() {
    // TF-A's sdei_state.c: bit 0 registered, bit 1 enabled, bit 2 running;
    // a handler that runs after its unregistration is "Reg_", 4.
    let want = [
        (Unregistered, 0b000),
        (Registered { enabled: false }, 0b001),
        (Registered { enabled: true }, 0b011),
        (Running { enabled: false }, 0b101),
        (Running { enabled: true }, 0b111),
        (UnregisterPending, 0b100),
    ];
    assert_eq!(want.len(), STATES.len());
    for (state, bits) in want {
        assert_eq!(state.status(), bits, "{state:?}");
        assert_eq!(EventState::from_status(bits), Some(state));
    }
    // Enabled without registered is no state.
    assert_eq!(EventState::from_status(0b010), None);
    assert_eq!(EventState::from_status(0b110), None);
    assert_eq!(EventState::from_status(0b1000), None);
}
