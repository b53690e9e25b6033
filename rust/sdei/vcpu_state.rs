// SPDX-License-Identifier: GPL-2.0

//! The SDEI state of one vCPU that only its own thread touches: handler
//! registrations, the PE mask, and the context a running handler
//! interrupted. Only the calls, delivery (`delivery.rs`), resets and the
//! register codec change it.

use super::abi::Error;
use super::event::{Event, COUNT};
use super::event_state::{transition, Action, EventState};
use super::signals::Signals;

/// Number of general-purpose registers a handler's entry saves (x0-x17).
pub const SAVED_GPRS: usize = 18;

/// One event's registration on a vCPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    /// Where the event stands.
    pub state: EventState,
    /// The handler's address (0 while unregistered).
    pub entry: u64,
    /// The argument the handler gets in x1 (0 while unregistered).
    pub arg: u64,
}

/// The registers a handler's entry overwrote, restored on completion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// x0-x17 of the interrupted code.
    pub gprs: [u64; SAVED_GPRS],
    /// The interrupted PC.
    pub pc: u64,
    /// The interrupted PSTATE.
    pub pstate: u64,
}

/// The SDEI state of one vCPU, owned by that vCPU's thread.
#[derive(Clone, Debug, PartialEq, Eq)]
///
/// Its fields are private to the core: only the transitions change them.
pub struct VcpuState {
    /// Per event, in table order.
    pub(crate) events: [Registration; COUNT],
    /// Whether the vCPU is masked (`SDEI_PE_MASK`); a vCPU starts masked.
    pub(crate) masked: bool,
    /// The interrupted context, meaningful while a handler runs.
    pub(crate) context: Context,
}

impl Default for VcpuState {
    fn default() -> Self {
        Self::new()
    }
}

impl VcpuState {
    /// The state of a vCPU after reset: masked, nothing registered.
    pub const fn new() -> Self {
        Self {
            events: [Registration {
                state: EventState::Unregistered,
                entry: 0,
                arg: 0,
            }; COUNT],
            masked: true,
            context: Context {
                gprs: [0; SAVED_GPRS],
                pc: 0,
                pstate: 0,
            },
        }
    }

    /// Resets the vCPU (KVM_ARM_VCPU_INIT, PSCI CPU_ON, system reset).
    pub fn reset(&mut self, signals: &Signals) {
        *self = Self::new();
        signals.clear_pending();
        self.publish(signals);
    }

    /// The vCPU resumes from a power-down suspend: as TF-A, it wakes up
    /// masked, and keeps its registrations and pending signals.
    pub fn wake_up(&mut self, signals: &Signals) {
        self.masked = true;
        self.publish(signals);
    }

    /// Whether the vCPU is masked (`SDEI_PE_MASK`).
    pub fn masked(&self) -> bool {
        self.masked
    }

    /// The context the running handler interrupted (zero when none runs).
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The registration of `event`.
    pub fn registration(&self, event: Event) -> &Registration {
        &self.events[event.index()]
    }

    /// The event whose handler is running, if any.
    ///
    /// Only normal-priority events exist, so at most one runs at a time.
    pub fn running(&self) -> Option<Event> {
        Event::all().find(|&event| self.registration(event).state.is_running())
    }

    /// Applies `action` to `event`, or changes nothing.
    #[inline]
    pub(crate) fn apply(&mut self, event: Event, action: Action) -> Result<EventState, Error> {
        let registration = &mut self.events[event.index()];
        registration.state = transition(registration.state, action)?;
        if registration.state == EventState::Unregistered {
            registration.entry = 0;
            registration.arg = 0;
        }
        Ok(registration.state)
    }

    /// Tells other threads what is registered and what the vCPU would
    /// take now, which drops signals for events no longer registered.
    #[inline]
    pub fn publish(&self, signals: &Signals) {
        let (mut registered, mut enabled) = (0, 0);
        for (event, registration) in Event::all().zip(&self.events) {
            if registration.state.is_registered() {
                registered |= event.bit();
            }
            if registration.state.is_enabled() {
                enabled |= event.bit();
            }
        }
        signals.publish(registered, if self.masked { 0 } else { enabled });
    }
}
