// SPDX-License-Identifier: GPL-2.0

//! The SDEI state of a vCPU as 64-bit firmware pseudo-registers, for
//! migration with KVM_GET_REG_LIST / KVM_GET_ONE_REG / KVM_SET_ONE_REG.
//!
//! Everything that must agree lives in one register, [`Reg::Status`], so
//! that every value SET accepts is consistent on its own and registers can
//! be restored in any order. The other registers are plain values: the
//! handlers' entries and arguments, and the context a running handler
//! interrupted.

use super::event::{Event, COUNT};
use super::signals::Signals;
use super::state::EventState;
use super::vcpu_state::{VcpuState, SAVED_GPRS};

/// `KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW`: a 64-bit firmware
/// pseudo-register of an arm64 vCPU; the low 16 bits are its number.
pub const FW_REG: u64 = 0x6030_0000_0014_0000;
/// The first firmware register number of the SDEI block.
pub const FIRST: u16 = 0x0100;

/// A register of the SDEI block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// The PE mask and the state of every event (see [`status`]).
    Status,
    /// An event's handler address.
    Entry(Event),
    /// An event's handler argument.
    Arg(Event),
    /// `x<n>` of the interrupted context, `n` in 0..=17.
    ContextGpr(u8),
    /// The interrupted PC.
    ContextPc,
    /// The interrupted PSTATE.
    ContextPstate,
}

/// Number of registers in the block.
pub const COUNT_REGS: usize = 1 + 2 * COUNT + SAVED_GPRS + 2;

/// Register numbers in the block: STATUS, then entry and argument of each
/// event, then the context.
const ENTRIES: u16 = FIRST + 1;
const CONTEXT: u16 = ENTRIES + 2 * COUNT as u16;

/// The IDs of every register, in the order KVM_GET_REG_LIST gives them.
pub const IDS: [u64; COUNT_REGS] = {
    let mut ids = [0; COUNT_REGS];
    let mut n = 0;
    while n < COUNT_REGS {
        ids[n] = FW_REG | (FIRST as u64 + n as u64);
        n += 1;
    }
    ids
};

impl Reg {
    /// The register with ID `id`, if it is one of ours.
    pub fn from_id(id: u64) -> Option<Self> {
        if id & !0xffff != FW_REG {
            return None;
        }
        let number = (id & 0xffff) as u16;
        let offset = number.checked_sub(FIRST)?;
        match offset {
            0 => Some(Self::Status),
            n if n < CONTEXT - FIRST => {
                let event = Event::all().nth(usize::from((n - 1) / 2))?;
                Some(if (n - 1) % 2 == 0 {
                    Self::Entry(event)
                } else {
                    Self::Arg(event)
                })
            }
            n => match n - (CONTEXT - FIRST) {
                gpr if usize::from(gpr) < SAVED_GPRS => Some(Self::ContextGpr(gpr as u8)),
                18 => Some(Self::ContextPc),
                19 => Some(Self::ContextPstate),
                _ => None,
            },
        }
    }

    /// The register's ID.
    pub fn id(self) -> u64 {
        let number = match self {
            Self::Status => FIRST,
            Self::Entry(event) => ENTRIES + 2 * event.index() as u16,
            Self::Arg(event) => ENTRIES + 2 * event.index() as u16 + 1,
            Self::ContextGpr(n) => CONTEXT + u16::from(n),
            Self::ContextPc => CONTEXT + SAVED_GPRS as u16,
            Self::ContextPstate => CONTEXT + SAVED_GPRS as u16 + 1,
        };
        FW_REG | u64::from(number)
    }
}

/// The layout of [`Reg::Status`].
pub mod status {
    /// The vCPU is masked.
    pub const MASKED: u64 = 1 << 0;
    /// Bit of event `index`'s byte: bits 8-15 for event 0, 16-23 for the
    /// async PF event.
    pub const fn event_shift(index: usize) -> u32 {
        8 * (index as u32 + 1)
    }
    /// In an event's byte: a handler is registered.
    pub const REGISTERED: u64 = 1 << 0;
    /// In an event's byte: the event is enabled.
    pub const ENABLED: u64 = 1 << 1;
    /// In an event's byte: the handler is running.
    pub const RUNNING: u64 = 1 << 2;
    /// In an event's byte: the handler is running and was unregistered.
    pub const UNREGISTER_PENDING: u64 = 1 << 3;
    /// In an event's byte: a signal is pending.
    pub const PENDING: u64 = 1 << 4;
    /// The bits an event's byte may have.
    pub const EVENT_BITS: u64 = REGISTERED | ENABLED | RUNNING | UNREGISTER_PENDING | PENDING;
}

/// Why a value cannot be set (the glue returns `-EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// A reserved bit is set.
    ReservedBits,
    /// The bits describe no state of the state machine.
    NoSuchState,
    /// More than one handler runs.
    SeveralRunning,
    /// A PSTATE the interrupted guest cannot have had.
    BadPstate,
}

fn encode_event(state: EventState, pending: bool) -> u64 {
    use status::*;
    let bits = match state {
        EventState::Unregistered => 0,
        EventState::Registered { enabled } => REGISTERED | if enabled { ENABLED } else { 0 },
        EventState::Running { enabled } => REGISTERED | RUNNING | if enabled { ENABLED } else { 0 },
        EventState::UnregisterPending => REGISTERED | RUNNING | UNREGISTER_PENDING,
    };
    // A signal for an unregistered event is dropped at the next delivery
    // check: the guest never sees it, so neither does userspace.
    if pending && state.is_registered() {
        bits | PENDING
    } else {
        bits
    }
}

fn decode_event(bits: u64) -> Result<(EventState, bool), Invalid> {
    use status::*;
    let pending = bits & PENDING != 0;
    let enabled = bits & ENABLED != 0;
    let state = match (
        bits & REGISTERED != 0,
        bits & RUNNING != 0,
        bits & UNREGISTER_PENDING != 0,
    ) {
        (false, false, false) if !enabled && !pending => EventState::Unregistered,
        (true, false, false) => EventState::Registered { enabled },
        (true, true, false) => EventState::Running { enabled },
        (true, true, true) if !enabled => EventState::UnregisterPending,
        _ => return Err(Invalid::NoSuchState),
    };
    Ok((state, pending))
}

/// Whether `pstate` is one an interrupted guest can have had: AArch64 EL0t,
/// EL1t or EL1h, or AArch32 User. Anything else (EL2, an AArch32 privileged
/// mode) must never be restored into a guest.
pub const fn valid_context_pstate(pstate: u64) -> bool {
    matches!(pstate & 0x1f, 0b0_0000 | 0b0_0100 | 0b0_0101 | 0b1_0000)
}

/// Reads `reg`.
pub fn get(state: &VcpuState, signals: &Signals, reg: Reg) -> u64 {
    match reg {
        Reg::Status => {
            let pending = signals.pending();
            Event::all().fold(u64::from(state.masked), |value, event| {
                let bits =
                    encode_event(state.registration(event).state, pending & event.bit() != 0);
                value | bits << status::event_shift(event.index())
            })
        }
        Reg::Entry(event) => state.registration(event).entry,
        Reg::Arg(event) => state.registration(event).arg,
        Reg::ContextGpr(n) => state.context.gprs[usize::from(n)],
        Reg::ContextPc => state.context.pc,
        Reg::ContextPstate => state.context.pstate,
    }
}

/// Writes `reg`, or changes nothing and says why not.
///
/// Called while the vCPU cannot run. Afterwards the glue should check
/// [`VcpuState::deliverable`], as a restored signal may be deliverable.
pub fn set(state: &mut VcpuState, signals: &Signals, reg: Reg, value: u64) -> Result<(), Invalid> {
    match reg {
        Reg::Status => {
            let known = Event::all().fold(status::MASKED, |bits, event| {
                bits | status::EVENT_BITS << status::event_shift(event.index())
            });
            if value & !known != 0 {
                return Err(Invalid::ReservedBits);
            }
            let mut decoded = [(EventState::Unregistered, false); COUNT];
            for event in Event::all() {
                let bits = value >> status::event_shift(event.index()) & status::EVENT_BITS;
                decoded[event.index()] = decode_event(bits)?;
            }
            if decoded
                .iter()
                .filter(|(state, _)| state.is_running())
                .count()
                > 1
            {
                return Err(Invalid::SeveralRunning);
            }
            // Every check passed: commit.
            state.masked = value & status::MASKED != 0;
            let mut pending = 0;
            for event in Event::all() {
                let (event_state, event_pending) = decoded[event.index()];
                state.events[event.index()].state = event_state;
                if event_pending {
                    pending |= event.bit();
                }
            }
            signals.restore_pending(pending);
            state.publish(signals);
        }
        Reg::Entry(event) => state.events[event.index()].entry = value,
        Reg::Arg(event) => state.events[event.index()].arg = value,
        Reg::ContextGpr(n) => state.context.gprs[usize::from(n)] = value,
        Reg::ContextPc => state.context.pc = value,
        Reg::ContextPstate => {
            if !valid_context_pstate(value) {
                return Err(Invalid::BadPstate);
            }
            state.context.pstate = value;
        }
    }
    Ok(())
}
