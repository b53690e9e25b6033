// SPDX-License-Identifier: GPL-2.0

//! The state of one event on one vCPU, and every transition it may take.

use super::abi::{Error, STATUS_ENABLED, STATUS_REGISTERED, STATUS_RUNNING};

/// Where an event stands on a vCPU (DEN0054 §6.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EventState {
    /// No handler is registered.
    #[default]
    Unregistered,
    /// A handler is registered and not running.
    Registered {
        /// Whether the event may be dispatched.
        enabled: bool,
    },
    /// The handler is running on this vCPU.
    Running {
        /// Whether the event stays enabled once the handler completes.
        enabled: bool,
    },
    /// The handler is running and was unregistered; the unregistration
    /// finishes when the handler completes.
    UnregisterPending,
}

/// What happens to an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `SDEI_EVENT_REGISTER`.
    Register,
    /// `SDEI_EVENT_ENABLE`.
    Enable,
    /// `SDEI_EVENT_DISABLE`.
    Disable,
    /// `SDEI_EVENT_UNREGISTER`.
    Unregister,
    /// The provider enters the handler.
    Dispatch,
    /// `SDEI_EVENT_COMPLETE` or `SDEI_EVENT_COMPLETE_AND_RESUME`.
    Complete,
    /// `SDEI_PRIVATE_RESET`.
    Reset,
}

impl EventState {
    /// Whether a handler is registered. A running handler whose
    /// unregistration is pending no longer is (DEN0054 §6.1, as TF-A).
    pub const fn is_registered(self) -> bool {
        matches!(self, Self::Registered { .. } | Self::Running { .. })
    }

    /// Whether the event is enabled.
    pub const fn is_enabled(self) -> bool {
        matches!(
            self,
            Self::Registered { enabled: true } | Self::Running { enabled: true }
        )
    }

    /// Whether the handler is running.
    pub const fn is_running(self) -> bool {
        matches!(self, Self::Running { .. } | Self::UnregisterPending)
    }

    /// What `SDEI_EVENT_STATUS` returns for this state: bit 0 registered,
    /// bit 1 enabled, bit 2 running. The migration STATUS register holds
    /// the same bits.
    ///
    /// # Examples
    ///
    /// ```
    /// use sdei::event_state::EventState;
    ///
    /// assert_eq!(EventState::Running { enabled: true }.status(), 7);
    /// assert_eq!(EventState::UnregisterPending.status(), 4);
    /// ```
    pub const fn status(self) -> u64 {
        (self.is_registered() as u64) << STATUS_REGISTERED
            | (self.is_enabled() as u64) << STATUS_ENABLED
            | (self.is_running() as u64) << STATUS_RUNNING
    }

    /// The state whose [`status()`](Self::status) is `bits`, if any: the
    /// enabled bit without the registered one describes no state.
    pub const fn from_status(bits: u64) -> Option<Self> {
        Some(match bits {
            0b000 => Self::Unregistered,
            0b001 => Self::Registered { enabled: false },
            0b011 => Self::Registered { enabled: true },
            0b101 => Self::Running { enabled: false },
            0b111 => Self::Running { enabled: true },
            0b100 => Self::UnregisterPending,
            _ => return None,
        })
    }
}

/// The state `action` leads to from `state`, or the error the guest gets.
///
/// Every (state, action) pair is spelled out, so a new state or action does
/// not compile until each of its cells is decided.
///
/// # Examples
///
/// ```
/// use sdei::abi::Error;
/// use sdei::event_state::{transition, Action, EventState};
///
/// let running = EventState::Running { enabled: true };
/// assert_eq!(transition(running, Action::Unregister), Ok(EventState::UnregisterPending));
/// assert_eq!(transition(EventState::Unregistered, Action::Enable), Err(Error::Denied));
/// ```
#[inline]
pub fn transition(state: EventState, action: Action) -> Result<EventState, Error> {
    use Action::*;
    use EventState::*;

    match (state, action) {
        // A handler is registered once, and starts disabled.
        (Unregistered, Register) => Ok(Registered { enabled: false }),
        (Registered { .. } | Running { .. } | UnregisterPending, Register) => Err(Error::Denied),

        // Enabling and disabling are idempotent, and allowed while running.
        (Registered { .. }, Enable) => Ok(Registered { enabled: true }),
        (Running { .. }, Enable) => Ok(Running { enabled: true }),
        (Registered { .. }, Disable) => Ok(Registered { enabled: false }),
        (Running { .. }, Disable) => Ok(Running { enabled: false }),
        (Unregistered | UnregisterPending, Enable | Disable) => Err(Error::Denied),

        // A running handler is unregistered when it completes.
        (Registered { .. }, Unregister) => Ok(Unregistered),
        (Running { .. } | UnregisterPending, Unregister) => Ok(UnregisterPending),
        (Unregistered, Unregister) => Err(Error::Denied),

        // Only an enabled, idle handler is entered.
        (Registered { enabled: true }, Dispatch) => Ok(Running { enabled: true }),
        (
            Registered { enabled: false } | Unregistered | Running { .. } | UnregisterPending,
            Dispatch,
        ) => Err(Error::Denied),

        // Completion returns to the state before dispatch, or finishes an
        // unregistration.
        (Running { enabled }, Complete) => Ok(Registered { enabled }),
        (UnregisterPending, Complete) => Ok(Unregistered),
        (Unregistered | Registered { .. }, Complete) => Err(Error::Denied),

        // A reset unregisters, but cannot pull a running handler away.
        (Unregistered | Registered { .. }, Reset) => Ok(Unregistered),
        (Running { .. } | UnregisterPending, Reset) => Ok(UnregisterPending),
    }
}
