// SPDX-License-Identifier: GPL-2.0

//! The static event table: the events KVM offers, fixed at compile time.

/// Number of the software-signalled event (DEN0054: event 0).
pub const SOFTWARE_SIGNALLED_NUMBER: u32 = 0;

/// Number of KVM's asynchronous page fault event.
///
/// Bit 31 is clear, as for every valid event number, and bits 30:24 are
/// 0x40, the class the spec leaves to the implementation ("vendor"). In
/// that class, 0x40400000 was used by an earlier KVM SDEI proposal for a
/// different event, so this one takes the next number to avoid confusion.
/// The UAPI header's `KVM_ARM_SDEI_ASYNC_PF_EVENT` must agree: the glue
/// checks it at build time.
pub const ASYNC_PF_NUMBER: u32 = 0x4040_0001;

/// Number of events in the table; it sizes every per-event array.
pub const COUNT: usize = 2;

/// What the table says of one event.
#[derive(Debug)]
pub struct Info {
    /// The event number guests use.
    pub number: u32,
    /// Whether `SDEI_EVENT_SIGNAL` may raise it.
    pub signalable: bool,
}

/// The events, all private and of normal priority.
///
/// An event's position here is its slot in the migration registers
/// (`regs`), so the order is ABI: a new event is appended, never inserted.
pub const TABLE: [Info; COUNT] = [
    Info {
        number: SOFTWARE_SIGNALLED_NUMBER,
        signalable: true,
    },
    Info {
        number: ASYNC_PF_NUMBER,
        signalable: false,
    },
];

/// An event of [`TABLE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event(u8);

impl Event {
    /// The software-signalled event, number 0.
    pub const SOFTWARE_SIGNALLED: Event = Event(0);
    /// The asynchronous page fault event.
    pub const ASYNC_PF: Event = Event(1);

    /// Every event, in table order.
    pub const ALL: [Event; COUNT] = [Self::SOFTWARE_SIGNALLED, Self::ASYNC_PF];

    /// Looks an event up by its number.
    ///
    /// # Examples
    ///
    /// ```
    /// use sdei::event::Event;
    ///
    /// assert_eq!(Event::from_number(0), Some(Event::SOFTWARE_SIGNALLED));
    /// assert_eq!(Event::from_number(0x4040_0001), Some(Event::ASYNC_PF));
    /// assert_eq!(Event::from_number(1), None);
    /// ```
    pub fn from_number(number: u32) -> Option<Self> {
        Self::all().find(|event| event.info().number == number)
    }

    /// Every event, in table order (which is also delivery order).
    pub fn all() -> impl Iterator<Item = Event> {
        Self::ALL.into_iter()
    }

    /// The event's position in [`TABLE`] and in per-event arrays.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The event's single bit in per-event bit sets.
    pub const fn bit(self) -> u8 {
        1 << self.0
    }

    /// The event's entry in [`TABLE`].
    pub const fn info(self) -> &'static Info {
        &TABLE[self.index()]
    }
}

// Per-event bit sets are one byte wide.
const _: () = assert!(COUNT <= 8);
