// SPDX-License-Identifier: GPL-2.0

//! Every interleaving of the cross-thread signal protocol (`Signals`),
//! model-checked with loom.
//!
//! The build script compiles `sdei/signals.rs` itself over loom's atomics.
//! Each model runs the owning vCPU's steps, as the core takes them, on one
//! thread and another vCPU's SIGNAL or the host's injection on another,
//! and checks the outcome under every interleaving loom explores:
//! - a signal raced with UNREGISTER or a reset is never left pending for
//!   an event that is not registered;
//! - a signal raced with PE_UNMASK is either seen by the owner's delivery
//!   check or reported deliverable, so that the signaller kicks: it is
//!   never lost;
//! - an injection the host was told succeeded is pending, or was taken.

mod signals_loom {
    pub(crate) mod abi {
        pub(crate) use sdei::abi::*;
    }
    pub(crate) mod event {
        pub(crate) use sdei::event::*;
    }
    #[allow(dead_code, unreachable_pub)]
    pub(crate) mod signals {
        include!(concat!(env!("OUT_DIR"), "/signals_loom.rs"));
    }
}

use loom::sync::Arc;
use loom::thread;
use sdei::event::Event;
use signals_loom::signals::Signals;

const EV0: u8 = 1; // Event::SOFTWARE_SIGNALLED.bit()
const APF: u8 = 2; // Event::ASYNC_PF.bit()

/// A vCPU's signals, with `registered` and `accepting` published.
fn published(registered: u8, accepting: u8) -> Arc<Signals> {
    let signals = Arc::new(Signals::new());
    signals.publish(registered, accepting);
    signals
}

/// Another vCPU signals event 0; its result says whether it kicks.
fn peer_signals(signals: &Arc<Signals>) -> thread::JoinHandle<bool> {
    let signals = signals.clone();
    thread::spawn(move || signals.signal(Event::SOFTWARE_SIGNALLED))
}

#[test]
fn a_signal_raced_with_unregister_is_not_left_pending() {
    loom::model(|| {
        // Event 0 registered and enabled on an unmasked vCPU.
        let signals = published(EV0, EV0);
        let peer = peer_signals(&signals);
        // The owner unregisters event 0.
        signals.publish(0, 0);
        peer.join().unwrap();
        assert_eq!(signals.pending() & !signals.registered(), 0);
        assert_eq!(signals.pending(), 0);
    });
}

#[test]
fn a_signal_raced_with_a_reset_is_dropped() {
    loom::model(|| {
        let signals = published(EV0, EV0);
        let peer = peer_signals(&signals);
        // VcpuState::reset: nothing pending, then nothing registered.
        signals.clear_pending();
        signals.publish(0, 0);
        peer.join().unwrap();
        assert_eq!(signals.pending(), 0);
    });
}

#[test]
fn a_signal_raced_with_pe_unmask_is_never_lost() {
    loom::model(|| {
        // Registered and enabled, but masked: nothing accepted yet.
        let signals = published(EV0, 0);
        let peer = peer_signals(&signals);
        // PE_UNMASK: publish, then the in-call delivery check.
        signals.publish(EV0, EV0);
        let seen_by_owner = signals.pending() & EV0 != 0;
        let kicked = peer.join().unwrap();
        let pending_now = signals.pending() & EV0 != 0;
        // The signal is pending (registered) and someone acts on it.
        assert!(pending_now);
        assert!(
            seen_by_owner || kicked,
            "a deliverable signal nobody acts on"
        );
    });
}

#[test]
fn an_accepted_injection_is_pending_or_taken() {
    loom::model(|| {
        let signals = published(APF, APF);
        let host = {
            let signals = signals.clone();
            thread::spawn(move || signals.inject(Event::ASYNC_PF).is_ok())
        };
        // The owner masks (publishes nothing accepted), then delivers what
        // was pending before: nothing here, as it is masked.
        signals.publish(APF, 0);
        let accepted = host.join().unwrap();
        if accepted {
            assert_eq!(signals.pending() & APF, APF, "accepted but not pending");
        } else {
            assert_eq!(signals.pending(), 0);
        }
    });
}

#[test]
fn a_signal_is_taken_once() {
    loom::model(|| {
        let signals = published(EV0, EV0);
        let peers: Vec<_> = (0..2).map(|_| peer_signals(&signals)).collect();
        // The owner delivers whatever is pending, once.
        let mut taken = 0;
        if signals.pending() & EV0 != 0 {
            signals.take(Event::SOFTWARE_SIGNALLED);
            taken += 1;
        }
        for peer in peers {
            peer.join().unwrap();
        }
        if signals.pending() & EV0 != 0 {
            signals.take(Event::SOFTWARE_SIGNALLED);
            taken += 1;
        }
        // Edge-triggered: two signals give one or two deliveries, never
        // none, and nothing stays pending.
        assert!((1..=2).contains(&taken));
        assert_eq!(signals.pending(), 0);
    });
}
