// SPDX-License-Identifier: GPL-2.0

//! The SDEI state of a vCPU as 64-bit firmware pseudo-registers, for
//! migration with KVM_GET_REG_LIST / KVM_GET_ONE_REG / KVM_SET_ONE_REG.
//!
//! Everything that must agree lives in one register, [`Reg::Status`], so
//! that every value SET accepts is consistent on its own and registers can
//! be restored in any order. The other registers are plain values: the
//! handlers' entries and arguments, and the context a running handler
//! interrupted.
//!
//! The layout is KVM's: `asm/kvm.h` names every register and field, and
//! the glue checks at build time that this module matches it. A
//! register's number says what it holds, forever: it is fixed per field
//! and per event slot (the event's position in the table), never derived
//! from how many events there are. Registers a stream lacks keep their
//! reset value, the state of an event nobody registered.

use super::event::{Event, COUNT};
use super::event_state::EventState;
use super::pstate;
use super::signals::Signals;
use super::vcpu_state::{VcpuState, SAVED_GPRS};

/// `KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW`: a 64-bit firmware
/// pseudo-register of an arm64 vCPU; the low 16 bits are its number.
pub const FW_REG: u64 = 0x6030_0000_0014_0000;

/// Register numbers (the low 16 bits of an ID) of the SDEI block,
/// 0x100-0x1ff. Numbers not named here are reserved.
pub mod number {
    /// The PE mask and every event's state; 0x101-0x10f are kept for
    /// more per-vCPU fields.
    pub const STATUS: u16 = 0x100;
    /// x0 of the interrupted context; x1-x17 follow, up to 0x121.
    pub const CONTEXT_X0: u16 = 0x110;
    /// The interrupted PC.
    pub const CONTEXT_PC: u16 = 0x122;
    /// The interrupted PSTATE; 0x124-0x13f are kept for more context.
    pub const CONTEXT_PSTATE: u16 = 0x123;
    /// The first event slot's block: handler entry at +0, argument at +1,
    /// +2 to +0xf kept for more per-event fields.
    pub const EVENT_BASE: u16 = 0x140;
    /// The size of an event slot's block: slot `s` starts at
    /// `EVENT_BASE + s * EVENT_STRIDE`, so 12 slots fit in the block.
    pub const EVENT_STRIDE: u16 = 0x10;
}

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

/// Every register, in the order KVM_GET_REG_LIST gives them; the list,
/// GET and SET all go through it.
pub const LAYOUT: [Reg; COUNT_REGS] = {
    let mut layout = [Reg::Status; COUNT_REGS];
    let mut n = 1;
    let mut gpr = 0;
    while gpr < SAVED_GPRS {
        layout[n] = Reg::ContextGpr(gpr as u8);
        n += 1;
        gpr += 1;
    }
    layout[n] = Reg::ContextPc;
    layout[n + 1] = Reg::ContextPstate;
    n += 2;
    let mut slot = 0;
    while slot < COUNT {
        layout[n] = Reg::Entry(Event::ALL[slot]);
        layout[n + 1] = Reg::Arg(Event::ALL[slot]);
        n += 2;
        slot += 1;
    }
    layout
};

/// The IDs of every register, in [`LAYOUT`] order.
pub const IDS: [u64; COUNT_REGS] = {
    let mut ids = [0; COUNT_REGS];
    let mut n = 0;
    while n < COUNT_REGS {
        ids[n] = LAYOUT[n].id();
        n += 1;
    }
    ids
};

impl Reg {
    /// The register's number in the SDEI block.
    pub const fn number(self) -> u16 {
        use number::*;
        match self {
            Self::Status => STATUS,
            Self::ContextGpr(n) => CONTEXT_X0 + n as u16,
            Self::ContextPc => CONTEXT_PC,
            Self::ContextPstate => CONTEXT_PSTATE,
            Self::Entry(event) => EVENT_BASE + event.index() as u16 * EVENT_STRIDE,
            Self::Arg(event) => EVENT_BASE + event.index() as u16 * EVENT_STRIDE + 1,
        }
    }

    /// The register's ID.
    pub const fn id(self) -> u64 {
        FW_REG | self.number() as u64
    }

    /// The register with ID `id`, if it is one of ours.
    pub fn from_id(id: u64) -> Option<Self> {
        LAYOUT.into_iter().find(|reg| reg.id() == id)
    }
}

/// The layout of [`Reg::Status`]: bit 0 the PE mask, bits 1-7 reserved,
/// then one byte per event slot (bits 8-15 for slot 0, 16-23 for slot 1,
/// up to 7 slots).
pub mod status {
    /// The vCPU is masked.
    pub const MASKED: u64 = 1 << 0;
    /// Where event slot `index`'s byte starts.
    pub const fn event_shift(index: usize) -> u32 {
        8 * (index as u32 + 1)
    }
    /// In an event's byte: its `SDEI_EVENT_STATUS` value (bit 0
    /// registered, bit 1 enabled, bit 2 running).
    pub const STATE: u64 = 0b111;
    /// In an event's byte: a signal is pending (only while registered).
    pub const PENDING: u64 = 1 << 3;
}

// Every event has a byte in STATUS and a block in the register range.
const _: () = assert!(COUNT <= 7);
const _: () = assert!(Reg::Arg(Event::ASYNC_PF).number() <= 0x1ff);

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

fn decode_event(bits: u64) -> Result<(EventState, bool), Invalid> {
    let state = EventState::from_status(bits & status::STATE).ok_or(Invalid::NoSuchState)?;
    let pending = bits & status::PENDING != 0;
    // A signal is only ever held for a registered event.
    if pending && !state.is_registered() {
        return Err(Invalid::NoSuchState);
    }
    Ok((state, pending))
}

/// Reads `reg`.
pub fn get(state: &VcpuState, signals: &Signals, reg: Reg) -> u64 {
    match reg {
        Reg::Status => {
            let pending = signals.pending();
            Event::all().fold(u64::from(state.masked), |value, event| {
                let mut bits = state.registration(event).state.status();
                if pending & event.bit() != 0 {
                    bits |= status::PENDING;
                }
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
/// Called while the vCPU cannot run. Returns whether an event is now
/// deliverable (a restored signal may be): the glue then kicks the vCPU,
/// which enters the handler before it next runs guest code.
pub fn set(
    state: &mut VcpuState,
    signals: &Signals,
    reg: Reg,
    value: u64,
) -> Result<bool, Invalid> {
    match reg {
        Reg::Status => {
            let known = Event::all().fold(status::MASKED, |bits, event| {
                bits | (status::STATE | status::PENDING) << status::event_shift(event.index())
            });
            if value & !known != 0 {
                return Err(Invalid::ReservedBits);
            }
            let mut decoded = [(EventState::Unregistered, false); COUNT];
            for event in Event::all() {
                decoded[event.index()] = decode_event(value >> status::event_shift(event.index()))?;
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
            signals.add_pending(pending);
            state.publish(signals);
        }
        Reg::Entry(event) => state.events[event.index()].entry = value,
        Reg::Arg(event) => state.events[event.index()].arg = value,
        Reg::ContextGpr(n) => state.context.gprs[usize::from(n)] = value,
        Reg::ContextPc => state.context.pc = value,
        Reg::ContextPstate => {
            if !pstate::valid_interrupted(value) {
                return Err(Invalid::BadPstate);
            }
            state.context.pstate = value;
        }
    }
    Ok(state.deliverable(signals).is_some())
}
