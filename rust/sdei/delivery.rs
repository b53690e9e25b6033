// SPDX-License-Identifier: GPL-2.0

//! Delivery and completion: entering a guest's handler as an exception
//! would be taken, and returning from it (DEN0054 §6.2, as TF-A's
//! `sdei_intr_mgmt.c` does it).

use super::abi::Error;
use super::event::Event;
use super::event_state::{transition, Action};
use super::pstate;
use super::registers::Registers;
use super::signals::Signals;
use super::vcpu_state::{Context, VcpuState};

impl VcpuState {
    /// The event to deliver at the next guest entry, if any: pending,
    /// registered and enabled, on an unmasked vCPU running no handler.
    ///
    /// A handler address of 0 is never entered: no guest registers one,
    /// but a restore may not have written the entry register yet.
    #[inline]
    pub fn deliverable(&self, signals: &Signals) -> Option<Event> {
        // Nothing pending is the common case after a call: one load.
        let pending = signals.pending();
        if pending == 0 || self.masked || self.running().is_some() {
            return None;
        }
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
    #[inline]
    pub fn deliver(&mut self, signals: &Signals, regs: &mut impl Registers) -> Option<Event> {
        // Checked inline: after most calls nothing is pending.
        let event = self.deliverable(signals)?;
        self.enter(event, signals, regs);
        Some(event)
    }

    /// Enters the handler of `event`, which is deliverable.
    #[inline(never)]
    fn enter(&mut self, event: Event, signals: &Signals, regs: &mut impl Registers) {
        let registration = *self.registration(event);
        if self.apply(event, Action::Dispatch).is_err() {
            return;
        }
        signals.take(event);

        // Saved in place: no temporary context to copy.
        let context = &mut self.context;
        (context.pc, context.pstate) = regs.pc_pstate();
        regs.read_gprs(&mut context.gprs);

        regs.write_gprs(&[
            event.info().number.into(),
            registration.arg,
            context.pc,
            context.pstate,
        ]);
        let entry_pstate = pstate::handler_entry(context.pstate, regs.sctlr_el1(), regs.has_mte());
        regs.set_pc_pstate(registration.entry, entry_pstate);
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
    /// Returns the event whose handler completed.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] if no handler is running; nothing changes then.
    pub fn complete(
        &mut self,
        regs: &mut impl Registers,
        resume_at: Option<u64>,
    ) -> Result<Event, Error> {
        let event = self.running().ok_or(Error::Denied)?;
        self.apply(event, Action::Complete)?;

        let context = &self.context;
        regs.write_gprs(&context.gprs);
        match resume_at {
            None => regs.set_pc_pstate(context.pc, context.pstate),
            Some(address) => {
                regs.set_elr_spsr_el1(context.pc, context.pstate);
                regs.set_pc_pstate(address, pstate::RESUME);
            }
        }
        self.context = Context::default();
        Ok(event)
    }
}
