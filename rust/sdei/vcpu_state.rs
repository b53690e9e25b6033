// SPDX-License-Identifier: GPL-2.0

//! The SDEI state of one vCPU that only its own thread touches: handler
//! registrations, the PE mask, and the context a running handler
//! interrupted. Event delivery and completion are here too.

use super::abi::Error;
use super::event::{bits, Event, COUNT};
use super::pstate;
use super::signals::Signals;
use super::state::{transition, Action, EventState};
use super::vcpu::Registers;

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
pub struct VcpuState {
    /// Per event, in table order.
    pub events: [Registration; COUNT],
    /// Whether the vCPU is masked (`SDEI_PE_MASK`); a vCPU starts masked.
    pub masked: bool,
    /// The interrupted context, meaningful while a handler runs.
    pub context: Context,
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
        signals.restore_pending(0);
        self.publish(signals);
    }

    /// The vCPU resumes from a power-down suspend: as TF-A, it wakes up
    /// masked, and keeps its registrations and pending signals.
    pub fn wake_up(&mut self, signals: &Signals) {
        self.masked = true;
        self.publish(signals);
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
    pub fn publish(&self, signals: &Signals) {
        let registered = bits(Event::all().filter(|&e| self.registration(e).state.is_registered()));
        let accepting = if self.masked {
            0
        } else {
            bits(Event::all().filter(|&e| self.registration(e).state.is_enabled()))
        };
        signals.publish(registered, accepting);
    }

    /// The event to deliver at the next guest entry, if any: pending,
    /// registered and enabled, on an unmasked vCPU running no handler.
    ///
    /// A handler address of 0 is never entered: no guest registers one,
    /// but a restore may not have written the entry register yet.
    pub fn deliverable(&self, signals: &Signals) -> Option<Event> {
        if self.masked || self.running().is_some() {
            return None;
        }
        let pending = signals.pending();
        Event::all().find(|&event| {
            let registration = self.registration(event);
            pending & event.bit() != 0
                && transition(registration.state, Action::Dispatch).is_ok()
                && registration.entry != 0
        })
    }

    /// Enters the handler of the deliverable event, if there is one.
    ///
    /// Saves x0-x17, PC and PSTATE; passes the event number, the
    /// registered argument, and the interrupted PC and PSTATE in x0-x3;
    /// and starts the handler as if an exception were taken to EL1h.
    /// ELR_EL1 and SPSR_EL1 are left alone. The caller must have committed
    /// any pending PC adjustment first.
    pub fn deliver(&mut self, signals: &Signals, regs: &mut impl Registers) -> Option<Event> {
        let event = self.deliverable(signals)?;
        let registration = *self.registration(event);
        self.apply(event, Action::Dispatch).ok()?;
        signals.take(event);

        // Saved in place: no temporary context to copy.
        let context = &mut self.context;
        context.pc = regs.pc();
        context.pstate = regs.pstate();
        regs.read_gprs(&mut context.gprs);

        regs.write_gprs(&[
            event.info().number.into(),
            registration.arg,
            context.pc,
            context.pstate,
        ]);
        regs.set_pc(registration.entry);
        regs.set_pstate(pstate::handler_entry(
            context.pstate,
            regs.sctlr_el1(),
            regs.has_mte(),
        ));
        Some(event)
    }

    /// Finishes the running handler: `SDEI_EVENT_COMPLETE` when `resume_at`
    /// is `None`, `SDEI_EVENT_COMPLETE_AND_RESUME` otherwise.
    ///
    /// COMPLETE restores x0-x17, PC and PSTATE as interrupted. COMPLETE_AND_
    /// RESUME restores x0-x17, then enters `resume_at` at EL1h with
    /// exceptions masked ([`pstate::RESUME`]), ELR_EL1 and SPSR_EL1 holding
    /// the interrupted PC and PSTATE, as if an exception had been taken
    /// there.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] if no handler is running; nothing changes then.
    pub fn complete(
        &mut self,
        regs: &mut impl Registers,
        resume_at: Option<u64>,
    ) -> Result<(), Error> {
        let event = self.running().ok_or(Error::Denied)?;
        self.apply(event, Action::Complete)?;

        let context = &self.context;
        regs.write_gprs(&context.gprs);
        match resume_at {
            None => {
                regs.set_pc(context.pc);
                regs.set_pstate(context.pstate);
            }
            Some(address) => {
                regs.set_elr_el1(context.pc);
                regs.set_spsr_el1(context.pstate);
                regs.set_pc(address);
                regs.set_pstate(pstate::RESUME);
            }
        }
        self.context = Context::default();
        Ok(())
    }
}
