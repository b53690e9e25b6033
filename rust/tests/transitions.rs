// SPDX-License-Identifier: GPL-2.0

//! Every cell of the event state machine (DEN0054 §6.1).

use sdei::abi::Error;
use sdei::state::{transition, Action, EventState};

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
fn status_bits_follow_the_state() {
    for state in STATES {
        assert_eq!(state.is_registered(), state != Unregistered, "{state:?}");
        assert_eq!(
            state.is_enabled(),
            matches!(
                state,
                Registered { enabled: true } | Running { enabled: true }
            ),
            "{state:?}"
        );
        assert_eq!(
            state.is_running(),
            matches!(state, Running { .. } | UnregisterPending),
            "{state:?}"
        );
    }
}
