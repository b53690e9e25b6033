// SPDX-License-Identifier: GPL-2.0

//! The SDEI calls: one function each, and their dispatch.

use super::abi::{
    to_x0, Error, Function, Result, FEATURE_BIND_SLOTS, INFO_EV_PRIORITY, INFO_EV_SIGNALED,
    INFO_EV_TYPE, REGISTER_RM_ANY, REGISTER_RM_PE, STATUS_ENABLED, STATUS_REGISTERED,
    STATUS_RUNNING, VERSION,
};
use super::event::Event;
use super::signals::Signals;
use super::state::{Action, EventState};
use super::vcpu::{Registers, Target, Vm};
use super::vcpu_state::{VcpuState, SAVED_GPRS};

/// What the glue does once a call has been handled.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// Resume the guest: the registers are already set.
    Resume,
    /// Kick `T`, which has a new pending event, then resume the guest.
    Kick(T),
}

/// Handles the SDEI call in the registers of `vcpu`, the caller.
///
/// Afterwards the glue should [`VcpuState::deliver`]: a call can make an
/// event deliverable on the caller (PE_UNMASK, COMPLETE, a SIGNAL to
/// itself...), and the PC is already the one the call returns to.
pub fn handle_call<V: Registers + Vm>(
    state: &mut VcpuState,
    signals: &Signals,
    vcpu: &mut V,
) -> Outcome<V::Target> {
    let mut args = [0; ARGS];
    vcpu.read_gprs(&mut args);
    let mut call = Call {
        state,
        signals,
        regs: vcpu,
        args,
    };
    // SMCCC: the function ID is the low 32 bits of x0.
    let id = call.args[0] as u32;
    let (result, outcome) = match Function::from_id(id) {
        Some(Function::EventComplete) => match call.complete(None) {
            Ok(()) => return Outcome::Resume,
            Err(error) => (Err(error), Outcome::Resume),
        },
        Some(Function::EventCompleteAndResume) => {
            let address = call.arg(1);
            match call.complete(Some(address)) {
                Ok(()) => return Outcome::Resume,
                Err(error) => (Err(error), Outcome::Resume),
            }
        }
        Some(Function::EventSignal) => match call.event_signal() {
            Ok(target) => (Ok(0), Outcome::Kick(target)),
            Err(error) => (Err(error), Outcome::Resume),
        },
        Some(function) => (call.dispatch(function), Outcome::Resume),
        None => (Err(Error::NotSupported), Outcome::Resume),
    };
    call.state.publish(call.signals);
    call.regs.write_gprs(&[to_x0(result)]);
    outcome
}

/// One call in progress on the calling vCPU.
struct Call<'a, V> {
    state: &'a mut VcpuState,
    signals: &'a Signals,
    regs: &'a mut V,
    /// x0 (the function ID) to x5 as the call was made.
    args: [u64; ARGS],
}

/// The most registers an SDEI call takes: the function ID and five
/// arguments (SDEI_EVENT_REGISTER's).
const ARGS: usize = 6;

impl<V: Registers + Vm> Call<'_, V> {
    fn arg(&self, n: usize) -> u64 {
        self.args[n]
    }

    fn event(&self, n: usize) -> core::result::Result<Event, Error> {
        Event::from_number(self.arg(n)).ok_or(Error::InvalidParameters)
    }

    /// The calls that return a value in x0 and signal no other vCPU.
    fn dispatch(&mut self, function: Function) -> Result {
        match function {
            Function::Version => Ok(VERSION),
            Function::EventRegister => self.event_register(),
            Function::EventEnable => self.change(Action::Enable),
            Function::EventDisable => self.change(Action::Disable),
            Function::EventContext => self.event_context(),
            Function::EventUnregister => self.event_unregister(),
            Function::EventStatus => self.event_status(),
            Function::EventGetInfo => self.event_get_info(),
            // Every event is private, so none can be routed.
            Function::EventRoutingSet => Err(Error::InvalidParameters),
            Function::PeMask => Ok(self.pe_mask()),
            Function::PeUnmask => {
                self.state.masked = false;
                Ok(0)
            }
            // No interrupt can be bound to an event.
            Function::InterruptBind | Function::InterruptRelease => Err(Error::NotSupported),
            Function::Features => self.features(),
            Function::PrivateReset => self.private_reset(),
            // There are no shared events.
            Function::SharedReset => Ok(0),
            Function::EventComplete | Function::EventCompleteAndResume | Function::EventSignal => {
                Err(Error::NotSupported)
            }
        }
    }

    /// `SDEI_EVENT_REGISTER(event, entry, arg, flags, affinity)`.
    fn event_register(&mut self) -> Result {
        let event = self.event(1)?;
        let (entry, arg, flags, affinity) = (self.arg(2), self.arg(3), self.arg(4), self.arg(5));
        let valid_routing = match flags {
            REGISTER_RM_ANY => true,
            REGISTER_RM_PE => self.regs.vcpu_by_mpidr(affinity).is_some(),
            _ => false,
        };
        if entry == 0 || !valid_routing {
            return Err(Error::InvalidParameters);
        }
        // A private event is always routed to the caller.
        self.state.apply(event, Action::Register)?;
        let registration = &mut self.state.events[event.index()];
        registration.entry = entry;
        registration.arg = arg;
        Ok(0)
    }

    /// `SDEI_EVENT_ENABLE` and `SDEI_EVENT_DISABLE`.
    fn change(&mut self, action: Action) -> Result {
        let event = self.event(1)?;
        self.state.apply(event, action)?;
        Ok(0)
    }

    /// `SDEI_EVENT_CONTEXT(index)`.
    fn event_context(&mut self) -> Result {
        let index = usize::try_from(self.arg(1))
            .ok()
            .filter(|&index| index < SAVED_GPRS)
            .ok_or(Error::InvalidParameters)?;
        self.state.running().ok_or(Error::Denied)?;
        Ok(self.state.context.gprs[index])
    }

    /// `SDEI_EVENT_UNREGISTER(event)`.
    fn event_unregister(&mut self) -> Result {
        let event = self.event(1)?;
        match self.state.apply(event, Action::Unregister)? {
            EventState::UnregisterPending => Err(Error::Pending),
            _ => Ok(0),
        }
    }

    /// `SDEI_EVENT_STATUS(event)`.
    fn event_status(&mut self) -> Result {
        let state = self.state.registration(self.event(1)?).state;
        Ok(u64::from(state.is_registered()) << STATUS_REGISTERED
            | u64::from(state.is_enabled()) << STATUS_ENABLED
            | u64::from(state.is_running()) << STATUS_RUNNING)
    }

    /// `SDEI_EVENT_GET_INFO(event, info)`.
    fn event_get_info(&mut self) -> Result {
        let event = self.event(1)?;
        match self.arg(2) {
            // Private.
            INFO_EV_TYPE => Ok(0),
            INFO_EV_SIGNALED => Ok(event.info().signalable.into()),
            // Normal priority.
            INFO_EV_PRIORITY => Ok(0),
            // Routing mode and affinity exist for shared events only.
            _ => Err(Error::InvalidParameters),
        }
    }

    /// `SDEI_PE_MASK`: 1 if the vCPU was unmasked, 0 if already masked.
    fn pe_mask(&mut self) -> u64 {
        let was_unmasked = !self.state.masked;
        self.state.masked = true;
        was_unmasked.into()
    }

    /// `SDEI_FEATURES(feature)`.
    fn features(&mut self) -> Result {
        match self.arg(1) {
            // No private or shared slots to bind interrupts to.
            FEATURE_BIND_SLOTS => Ok(0),
            _ => Err(Error::InvalidParameters),
        }
    }

    /// `SDEI_PRIVATE_RESET`: unregisters every event, but a running
    /// handler's event only once it completes.
    fn private_reset(&mut self) -> Result {
        let mut result = Ok(0);
        for event in Event::all() {
            if self.state.apply(event, Action::Reset)? == EventState::UnregisterPending {
                result = Err(Error::Denied);
            }
        }
        result
    }

    /// `SDEI_EVENT_SIGNAL(event, target)`.
    fn event_signal(&mut self) -> core::result::Result<V::Target, Error> {
        let event = self.event(1)?;
        if !event.info().signalable {
            return Err(Error::InvalidParameters);
        }
        let target = self
            .regs
            .vcpu_by_mpidr(self.arg(2))
            .ok_or(Error::InvalidParameters)?;
        target.signals().raise(event)?;
        Ok(target)
    }

    /// `SDEI_EVENT_COMPLETE` and `SDEI_EVENT_COMPLETE_AND_RESUME`.
    fn complete(&mut self, resume_at: Option<u64>) -> core::result::Result<(), Error> {
        self.state.complete(self.signals, self.regs, resume_at)
    }
}
