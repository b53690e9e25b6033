// SPDX-License-Identifier: GPL-2.0

//! The SDEI calls: one function each, and their dispatch.
//!
//! Each call follows TF-A's dispatcher (`services/std_svc/sdei/`) value for
//! value; `Documentation/guest-abi.rst` lists where KVM differs and why.
//! As there, 32-bit arguments (event numbers, CONTEXT's index, GET_INFO's
//! query, FEATURES' feature, INTERRUPT_BIND's interrupt) are the low 32
//! bits of their register.

use super::abi::{
    Error, Function, Result, FEATURE_BIND_SLOTS, INFO_EV_PRIORITY, INFO_EV_SIGNALED, INFO_EV_TYPE,
    REGISTER_RM_ANY, REGISTER_RM_PE, VERSION,
};
use super::event::Event;
use super::event_state::{Action, EventState};
use super::registers::{Registers, Target, Vm};
use super::signals::Signals;
use super::vcpu_state::{VcpuState, SAVED_GPRS};

/// Handles the SDEI call in the registers of `vcpu`, the caller, as KVM
/// runs it: answers it, publishes what changed, and enters the handler of
/// an event the call made deliverable on the caller (PE_UNMASK, ENABLE,
/// COMPLETE with another event pending, a SIGNAL to itself...). The PC is
/// already the one the call returns to, so the handler interrupts the
/// caller right after its call.
///
/// Returns another vCPU the glue must kick: one a SIGNAL made an event
/// deliverable on.
pub fn handle_call<V: Registers + Vm>(
    state: &mut VcpuState,
    signals: &Signals,
    vcpu: &mut V,
) -> Option<V::Target> {
    let mut args = [0; ARGS];
    vcpu.read_gprs(&mut args);
    let mut call = Call {
        state,
        signals,
        regs: vcpu,
        args,
        kick: None,
    };
    // SMCCC: the function ID is the low 32 bits of x0.
    let function = Function::from_id(call.args[0] as u32);
    let reply = match function {
        Some(function) => call.dispatch(function),
        None => Err(Error::NotSupported),
    };
    // A successful COMPLETE has restored x0 with the rest of the context.
    if let Some(x0) = reply.unwrap_or_else(|error| Some(error.to_x0())) {
        call.regs.write_gprs(&[x0]);
    }
    if function.is_some_and(Function::changes_published_state) {
        call.state.publish(call.signals);
    }
    call.state.deliver(call.signals, call.regs);
    call.kick
}

/// One call in progress on the calling vCPU.
struct Call<'a, V: Vm> {
    state: &'a mut VcpuState,
    signals: &'a Signals,
    regs: &'a mut V,
    /// x0 (the function ID) to x5 as the call was made.
    args: [u64; ARGS],
    /// Another vCPU to kick once the call is done.
    kick: Option<V::Target>,
}

/// The most registers an SDEI call takes: the function ID and five
/// arguments (SDEI_EVENT_REGISTER's).
const ARGS: usize = 6;

/// What a call leaves in x0: a value, or nothing when the call restored
/// the whole context (a successful COMPLETE).
type Reply = core::result::Result<Option<u64>, Error>;

impl<V: Registers + Vm> Call<'_, V> {
    fn arg(&self, n: usize) -> u64 {
        self.args[n]
    }

    /// Argument `n` as the 32-bit parameter it is.
    fn arg32(&self, n: usize) -> u32 {
        self.args[n] as u32
    }

    fn event(&self, n: usize) -> core::result::Result<Event, Error> {
        Event::from_number(self.arg32(n)).ok_or(Error::InvalidParameters)
    }

    fn dispatch(&mut self, function: Function) -> Reply {
        let value = match function {
            Function::Version => Ok(VERSION),
            Function::EventRegister => self.event_register(),
            Function::EventEnable => self.enable_or_disable(Action::Enable),
            Function::EventDisable => self.enable_or_disable(Action::Disable),
            Function::EventContext => self.event_context(),
            Function::EventComplete => return self.complete(None),
            Function::EventCompleteAndResume => return self.complete(Some(self.arg(1))),
            Function::EventUnregister => self.event_unregister(),
            Function::EventStatus => Ok(self.state.registration(self.event(1)?).state.status()),
            Function::EventGetInfo => self.event_get_info(),
            Function::EventRoutingSet => self.event_routing_set(),
            Function::PeMask => Ok(self.pe_mask()),
            Function::PeUnmask => {
                self.state.masked = false;
                Ok(0)
            }
            Function::InterruptBind => self.interrupt_bind(),
            // Every event is static: none was bound, so none can be released.
            Function::InterruptRelease => Err(Error::InvalidParameters),
            Function::EventSignal => self.event_signal(),
            Function::Features => self.features(),
            Function::PrivateReset => self.private_reset(),
            // There are no shared events, and nothing is bound.
            Function::SharedReset => Ok(0),
        };
        value.map(Some)
    }

    /// Whether `flags` and `affinity` are valid routing for REGISTER and
    /// ROUTING_SET: any PE, or one PE that is a vCPU of this VM.
    fn valid_routing(&self, flags: u64, affinity: u64) -> bool {
        match flags {
            REGISTER_RM_ANY => true,
            REGISTER_RM_PE => self.regs.vcpu_by_mpidr(affinity).is_some(),
            _ => false,
        }
    }

    /// `SDEI_EVENT_REGISTER(event, entry, arg, flags, affinity)`.
    fn event_register(&mut self) -> Result {
        let (entry, arg, flags, affinity) = (self.arg(2), self.arg(3), self.arg(4), self.arg(5));
        if entry == 0 || !self.valid_routing(flags, affinity) {
            return Err(Error::InvalidParameters);
        }
        let event = self.event(1)?;
        // A private event is always routed to the caller.
        self.state.apply(event, Action::Register)?;
        let registration = &mut self.state.events[event.index()];
        registration.entry = entry;
        registration.arg = arg;
        Ok(0)
    }

    /// `SDEI_EVENT_ENABLE` and `SDEI_EVENT_DISABLE`.
    fn enable_or_disable(&mut self, action: Action) -> Result {
        let event = self.event(1)?;
        self.state.apply(event, action)?;
        Ok(0)
    }

    /// `SDEI_EVENT_CONTEXT(index)`: the index is checked first.
    fn event_context(&mut self) -> Result {
        let index = usize::try_from(self.arg32(1))
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

    /// `SDEI_EVENT_GET_INFO(event, info)`.
    fn event_get_info(&mut self) -> Result {
        let event = self.event(1)?;
        match u64::from(self.arg32(2)) {
            // Private.
            INFO_EV_TYPE => Ok(0),
            // TF-A answers whether the event is *not* signalable (its
            // SDEI_INFO_EV_NOT_SIGNALED): 0 for event 0.
            INFO_EV_SIGNALED => Ok((!event.info().signalable).into()),
            // Normal priority.
            INFO_EV_PRIORITY => Ok(0),
            // Routing mode and affinity exist for shared events only.
            _ => Err(Error::InvalidParameters),
        }
    }

    /// `SDEI_EVENT_ROUTING_SET(event, flags, affinity)`: TF-A checks the
    /// routing, then the event, then that it is shared; every event here
    /// is private, so each check ends the same way.
    fn event_routing_set(&mut self) -> Result {
        Err(Error::InvalidParameters)
    }

    /// `SDEI_PE_MASK`: 1 if the vCPU was unmasked, 0 if already masked.
    fn pe_mask(&mut self) -> u64 {
        let was_unmasked = !self.state.masked;
        self.state.masked = true;
        was_unmasked.into()
    }

    /// `SDEI_INTERRUPT_BIND(intid)`, with no slot to bind to: SGIs can
    /// never be bound, any other interrupt finds no free slot.
    fn interrupt_bind(&mut self) -> Result {
        if self.arg32(1) < 16 {
            Err(Error::InvalidParameters)
        } else {
            Err(Error::OutOfResource)
        }
    }

    /// `SDEI_FEATURES(feature)`.
    fn features(&mut self) -> Result {
        match u64::from(self.arg32(1)) {
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

    /// `SDEI_EVENT_SIGNAL(event, target)`: succeeds for a signalable event
    /// and any vCPU of the VM; the target's state decides what becomes of
    /// the signal.
    fn event_signal(&mut self) -> Result {
        let event = self.event(1)?;
        if !event.info().signalable {
            return Err(Error::InvalidParameters);
        }
        let target = self
            .regs
            .vcpu_by_mpidr(self.arg(2))
            .ok_or(Error::InvalidParameters)?;
        // The caller takes its own event at the end of this call.
        if target.signals().signal(event) && !self.regs.is_caller(&target) {
            self.kick = Some(target);
        }
        Ok(0)
    }

    /// `SDEI_EVENT_COMPLETE` and `SDEI_EVENT_COMPLETE_AND_RESUME`.
    fn complete(&mut self, resume_at: Option<u64>) -> Reply {
        self.state.complete(self.regs, resume_at)?;
        Ok(None)
    }
}

/// What a call did, as KVM's tracepoints report it.
///
/// Only computed while they are enabled: [`Traced::before`] before the
/// call, [`Traced::after`] once [`handle_call`] returned, so that the call
/// itself pays nothing for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// The function ID called.
    pub function_id: u32,
    /// What the call answered in x0; 0 for a COMPLETE, which returns
    /// nowhere.
    pub answer: u64,
    /// The event whose handler the call completed, and whether it resumed
    /// elsewhere (COMPLETE_AND_RESUME).
    pub completed: Option<(Event, bool)>,
    /// The event whose handler was entered as the call returned.
    pub entered: Option<Event>,
}

/// What a [`Report`] needs from before the call.
#[derive(Clone, Copy, Debug)]
pub struct Traced {
    function_id: u32,
    running: Option<Event>,
}

impl Traced {
    /// Before the call: its x0 (the function ID) and what was running.
    pub fn before(state: &VcpuState, x0: u64) -> Self {
        Self {
            function_id: x0 as u32,
            running: state.running(),
        }
    }

    /// After the call: `x0` is the register as the guest resumes.
    pub fn after(self, state: &VcpuState, x0: u64) -> Report {
        let function = Function::from_id(self.function_id);
        let resumed = match function {
            Some(Function::EventComplete) => Some(false),
            Some(Function::EventCompleteAndResume) => Some(true),
            _ => None,
        };
        // COMPLETE only fails when no handler runs.
        let completed = resumed.and_then(|resumed| Some((self.running?, resumed)));
        let entered = state
            .running()
            .filter(|_| self.running.is_none() || completed.is_some());
        let answer = match (completed, entered) {
            (Some(_), _) => 0,
            // The handler's entry overwrote x0: the answer is in its context.
            (None, Some(_)) => state.context().gprs[0],
            (None, None) => x0,
        };
        Report {
            function_id: self.function_id,
            answer,
            completed,
            entered,
        }
    }
}
