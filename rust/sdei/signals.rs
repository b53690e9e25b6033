// SPDX-License-Identifier: GPL-2.0

//! The part of a vCPU's SDEI state that other threads touch.
//!
//! Another vCPU (`SDEI_EVENT_SIGNAL`) or the host (asynchronous page fault)
//! only ever sets a pending bit, after checking that the target accepts
//! the event. The owning vCPU publishes what it accepts after each change
//! and consumes pending bits when it delivers. Everything else about the
//! vCPU is in [`super::vcpu_state::VcpuState`], which only its own thread
//! touches.

use core::sync::atomic::{AtomicU8, Ordering};

use super::abi::Error;
use super::event::Event;

/// Pending and accepted events of one vCPU, one bit per event.
#[derive(Debug, Default)]
pub struct Signals {
    /// Events signalled but not delivered yet (written by any thread).
    pending: AtomicU8,
    /// Events the owner would take now: registered, enabled, vCPU unmasked
    /// (written by the owning vCPU only).
    accepting: AtomicU8,
}

impl Signals {
    /// Creates the signals of a fresh vCPU: nothing pending or accepted.
    pub const fn new() -> Self {
        Self {
            pending: AtomicU8::new(0),
            accepting: AtomicU8::new(0),
        }
    }

    /// Makes `event` pending, if the vCPU accepts it; from any thread.
    ///
    /// At most one signal per event is pending: signalling a pending event
    /// again changes nothing and succeeds. The caller then kicks the vCPU.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameters`] if the vCPU does not accept `event`.
    pub fn raise(&self, event: Event) -> Result<(), Error> {
        // Pairs with the Release store in `publish_accepting()`.
        if self.accepting.load(Ordering::Acquire) & event.bit() == 0 {
            return Err(Error::InvalidParameters);
        }
        // Release: the owner that sees the bit sees what came before it.
        self.pending.fetch_or(event.bit(), Ordering::Release);
        Ok(())
    }

    /// The pending events.
    pub fn pending(&self) -> u8 {
        self.pending.load(Ordering::Acquire)
    }

    /// The events the vCPU accepts.
    pub fn accepting(&self) -> u8 {
        self.accepting.load(Ordering::Acquire)
    }

    /// Drops the pending signals in `events`; owner only.
    pub(crate) fn clear_pending(&self, events: u8) {
        self.pending.fetch_and(!events, Ordering::AcqRel);
    }

    /// Replaces the pending set, for a restore; owner only, while the vCPU
    /// cannot run.
    pub(crate) fn restore_pending(&self, events: u8) {
        self.pending.store(events, Ordering::Release);
    }

    /// Publishes what the vCPU accepts; owner only.
    pub(crate) fn publish_accepting(&self, events: u8) {
        // Most calls change nothing: leave the line that signalling vCPUs
        // read clean then. Relaxed: only the owner ever writes it.
        if self.accepting.load(Ordering::Relaxed) != events {
            self.accepting.store(events, Ordering::Release);
        }
    }
}
