// SPDX-License-Identifier: GPL-2.0

//! The part of a vCPU's SDEI state that other threads touch.
//!
//! Another vCPU (`SDEI_EVENT_SIGNAL`) or the host (an injection) only ever
//! sets a pending bit. The owning vCPU publishes which events are
//! registered and which it would take now after each change, and consumes
//! pending bits when it delivers. Everything else about the vCPU is in
//! [`super::vcpu_state::VcpuState`], which only its own thread touches.
//!
//! All three sets live in one atomic word, so that a signal and the
//! owner's unregistration are ordered: a signal either lands while the
//! event is registered, and the unregistration drops it, or comes after
//! and is lost. Neither can slip between the check and the store.

use core::sync::atomic::{AtomicU32, Ordering};

use super::abi::Error;
use super::event::Event;

/// Bits 0-7: pending events.
const PENDING_SHIFT: u32 = 0;
/// Bits 8-15: registered events (the owner publishes them).
const REGISTERED_SHIFT: u32 = 8;
/// Bits 16-23: events the owner would take now: registered, enabled, vCPU
/// unmasked (the owner publishes them).
const ACCEPTING_SHIFT: u32 = 16;

const fn field(word: u32, shift: u32) -> u8 {
    (word >> shift) as u8
}

/// Pending, registered and accepted events of one vCPU.
#[derive(Debug, Default)]
pub struct Signals {
    word: AtomicU32,
}

impl Signals {
    /// Creates the signals of a fresh vCPU: nothing pending or registered.
    pub const fn new() -> Self {
        Self {
            word: AtomicU32::new(0),
        }
    }

    /// Sets `event` pending if its bit at `shift` (registered or accepting)
    /// is set; returns the word before, or `None` if nothing was set.
    fn raise_if(&self, event: Event, shift: u32) -> Option<u32> {
        let bit = u32::from(event.bit());
        self.word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word >> shift & bit != 0).then_some(word | bit << PENDING_SHIFT)
            })
            .ok()
    }

    /// `SDEI_EVENT_SIGNAL` on this vCPU, from any thread.
    ///
    /// As on firmware (TF-A raises an SGI the target takes once it can):
    /// the signal is held while the event is registered, and taken once the
    /// event is enabled, the vCPU unmasked and no handler running. At most
    /// one signal per event is pending; a vCPU without the event
    /// registered loses it.
    ///
    /// Returns whether the signal made the event pending on a vCPU that
    /// takes it now, and so must be kicked. A signal for an event already
    /// pending changes nothing, writes nothing and kicks nobody: a guest
    /// looping on SIGNAL costs its target one exit, not one per call.
    pub fn signal(&self, event: Event) -> bool {
        self.host_signal(event).unwrap_or(false)
    }

    /// An NMI from the host (`KVM_NMI`): [`Self::signal`]'s rules, except
    /// that the host learns when the event is not registered, where a
    /// guest's signal is lost without a word (as on TF-A).
    ///
    /// Returns whether the vCPU must be kicked, as [`Self::signal`].
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] if the event is not registered on this vCPU.
    pub fn host_signal(&self, event: Event) -> Result<bool, Error> {
        let bit = u32::from(event.bit());
        let registered = |word: u32| word >> REGISTERED_SHIFT & bit != 0;
        match self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let pending = word >> PENDING_SHIFT & bit != 0;
                (registered(word) && !pending).then_some(word | bit << PENDING_SHIFT)
            }) {
            Ok(before) => Ok(field(before, ACCEPTING_SHIFT) & event.bit() != 0),
            // Already pending: nothing changes, nobody is kicked.
            Err(word) if registered(word) => Ok(false),
            Err(_) => Err(Error::Denied),
        }
    }

    /// Makes `event` pending for the host, if the vCPU takes it now.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] if the event is not registered and enabled, or the
    /// vCPU is masked: the host falls back rather than wait.
    pub fn inject(&self, event: Event) -> Result<(), Error> {
        self.raise_if(event, ACCEPTING_SHIFT)
            .map(|_| ())
            .ok_or(Error::Denied)
    }

    /// The pending events.
    pub fn pending(&self) -> u8 {
        field(self.word.load(Ordering::Acquire), PENDING_SHIFT)
    }

    /// The events the vCPU would take now.
    pub fn accepting(&self) -> u8 {
        field(self.word.load(Ordering::Acquire), ACCEPTING_SHIFT)
    }

    /// The registered events, as last published.
    pub fn registered(&self) -> u8 {
        field(self.word.load(Ordering::Acquire), REGISTERED_SHIFT)
    }

    /// Consumes the pending signal of `event`, which is being delivered;
    /// owner only.
    pub(crate) fn take(&self, event: Event) {
        let bit = u32::from(event.bit()) << PENDING_SHIFT;
        self.word.fetch_and(!bit, Ordering::AcqRel);
    }

    /// Publishes what is registered and accepted, dropping the signals of
    /// events no longer registered; owner only.
    #[inline]
    pub(crate) fn publish(&self, registered: u8, accepting: u8) {
        let published =
            u32::from(registered) << REGISTERED_SHIFT | u32::from(accepting) << ACCEPTING_SHIFT;
        // Most calls change nothing: leave the line that signalling vCPUs
        // read clean then (a failed update only loads).
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let pending = field(word, PENDING_SHIFT) & registered;
                let new = published | u32::from(pending) << PENDING_SHIFT;
                (new != word).then_some(new)
            });
    }

    /// Adds `pending` to the pending set, for a restore; owner only, while
    /// the vCPU cannot run. Never withdraws a signal: one another vCPU
    /// raised between a VMM's GET and SET of STATUS stays. The owner
    /// publishes next, which drops any for events not registered.
    pub(crate) fn add_pending(&self, pending: u8) {
        self.word
            .fetch_or(u32::from(pending) << PENDING_SHIFT, Ordering::AcqRel);
    }

    /// Drops every pending signal, for a reset; owner only. The owner
    /// publishes next.
    pub(crate) fn clear_pending(&self) {
        self.word
            .fetch_and(!(0xff << PENDING_SHIFT), Ordering::AcqRel);
    }
}
