// SPDX-License-Identifier: GPL-2.0

//! A VM of test vCPUs for driving the core as KVM would.

#![allow(dead_code, unreachable_pub)]

use sdei::abi::Function;
use sdei::call::handle_call;
use sdei::event::Event;
use sdei::pstate;
use sdei::registers::{Registers, Target, Vm};
use sdei::signals::Signals;
use sdei::vcpu_state::VcpuState;

/// Where handlers are registered unless a test says otherwise.
pub const ENTRY: u64 = 0xffff_8000_1000_0000;
/// The handler argument tests register.
pub const ARG: u64 = 0xa5a5_0000_1234_5678;
/// PSTATE of interrupted guest code: EL1h, IRQs unmasked, some flags set.
pub const GUEST_PSTATE: u64 = pstate::MODE_EL1H | pstate::NZCV;
/// SCTLR_EL1 of a Linux guest: SPAN set (PAN kept), DSSBS clear.
pub const GUEST_SCTLR: u64 = pstate::SCTLR_SPAN;

/// A vCPU's registers, as plain fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regs {
    pub x: [u64; 31],
    pub pc: u64,
    pub pstate: u64,
    pub elr_el1: u64,
    pub spsr_el1: u64,
    pub sctlr_el1: u64,
    /// Whether the guest has MTE.
    pub mte: bool,
}

impl Regs {
    /// Distinct values everywhere, so a misplaced register shows.
    pub fn distinct(cpu: usize) -> Self {
        let mut x = [0; 31];
        for (n, reg) in x.iter_mut().enumerate() {
            *reg = 0x1000_0000_0000_0000 * (cpu as u64 + 1) + 0x100 * n as u64 + 7;
        }
        Self {
            x,
            pc: 0xffff_0000_0040_0000 + 0x1000 * cpu as u64,
            pstate: GUEST_PSTATE,
            elr_el1: 0xe1e1,
            spsr_el1: 0x5959,
            sctlr_el1: GUEST_SCTLR,
            mte: false,
        }
    }
}

impl Registers for Regs {
    fn read_gprs(&self, values: &mut [u64]) {
        values.copy_from_slice(&self.x[..values.len()]);
    }
    fn write_gprs(&mut self, values: &[u64]) {
        self.x[..values.len()].copy_from_slice(values);
    }
    fn pc_pstate(&self) -> (u64, u64) {
        (self.pc, self.pstate)
    }
    fn set_pc_pstate(&mut self, pc: u64, pstate: u64) {
        (self.pc, self.pstate) = (pc, pstate);
    }
    fn set_elr_spsr_el1(&mut self, elr: u64, spsr: u64) {
        (self.elr_el1, self.spsr_el1) = (elr, spsr);
    }
    fn sctlr_el1(&self) -> u64 {
        self.sctlr_el1
    }
    fn has_mte(&self) -> bool {
        self.mte
    }
}

/// MPIDR of test vCPU `cpu` (Aff0 = cpu, RES1 bit 31 set as KVM reports).
pub fn mpidr(cpu: usize) -> u64 {
    (1 << 31) | cpu as u64
}

/// The calling vCPU: its registers, and the VM's vCPUs as SIGNAL and
/// REGISTER see them.
pub struct Caller<'a> {
    cpu: usize,
    regs: &'a mut Regs,
    signals: &'a [Signals],
}

impl Registers for Caller<'_> {
    fn read_gprs(&self, values: &mut [u64]) {
        self.regs.read_gprs(values);
    }
    fn write_gprs(&mut self, values: &[u64]) {
        self.regs.write_gprs(values);
    }
    fn pc_pstate(&self) -> (u64, u64) {
        self.regs.pc_pstate()
    }
    fn set_pc_pstate(&mut self, pc: u64, pstate: u64) {
        self.regs.set_pc_pstate(pc, pstate);
    }
    fn set_elr_spsr_el1(&mut self, elr: u64, spsr: u64) {
        self.regs.set_elr_spsr_el1(elr, spsr);
    }
    fn sctlr_el1(&self) -> u64 {
        self.regs.sctlr_el1
    }
    fn has_mte(&self) -> bool {
        self.regs.mte
    }
}

/// A vCPU found by MPIDR.
#[derive(Debug)]
pub struct Found<'a> {
    pub cpu: usize,
    signals: &'a Signals,
}

impl PartialEq for Found<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cpu == other.cpu
    }
}

impl Target for Found<'_> {
    fn signals(&self) -> &Signals {
        self.signals
    }
}

impl<'a> Vm for Caller<'a> {
    type Target = Found<'a>;

    fn vcpu_by_mpidr(&self, value: u64) -> Option<Found<'a>> {
        // KVM matches the affinity fields only.
        let affinity = value & 0xff_00ff_ffff;
        (0..self.signals.len())
            .find(|&cpu| mpidr(cpu) & 0xff_00ff_ffff == affinity)
            .map(|cpu| Found {
                cpu,
                signals: &self.signals[cpu],
            })
    }

    fn is_caller(&self, target: &Found<'a>) -> bool {
        target.cpu == self.cpu
    }
}

/// A VM of test vCPUs.
pub struct Machine {
    pub states: Vec<VcpuState>,
    pub signals: Vec<Signals>,
    pub regs: Vec<Regs>,
    /// vCPUs kicked by SIGNAL, in order.
    pub kicks: Vec<usize>,
}

impl Machine {
    pub fn new(vcpus: usize) -> Self {
        Self {
            states: (0..vcpus).map(|_| VcpuState::new()).collect(),
            signals: (0..vcpus).map(|_| Signals::new()).collect(),
            regs: (0..vcpus).map(Regs::distinct).collect(),
            kicks: Vec::new(),
        }
    }

    /// Calls `function` on `cpu` with x1.. = `args`; returns x0 afterwards.
    pub fn call(&mut self, cpu: usize, function: Function, args: &[u64]) -> u64 {
        self.call_id(cpu, function.id().into(), args)
    }

    /// Calls function ID `id` on `cpu`; returns x0 afterwards.
    pub fn call_id(&mut self, cpu: usize, id: u64, args: &[u64]) -> u64 {
        let regs = &mut self.regs[cpu];
        regs.x[0] = id;
        for (n, arg) in args.iter().enumerate() {
            regs.x[n + 1] = *arg;
        }
        let mut caller = Caller {
            cpu,
            regs,
            signals: &self.signals,
        };
        if let Some(target) = handle_call(&mut self.states[cpu], &self.signals[cpu], &mut caller) {
            self.kicks.push(target.cpu);
        }
        self.regs[cpu].x[0]
    }

    /// What KVM does before entering `cpu`: deliver a deliverable event.
    pub fn enter(&mut self, cpu: usize) -> Option<Event> {
        self.states[cpu].deliver(&self.signals[cpu], &mut self.regs[cpu])
    }

    /// Registers `event` with the default handler, enables it, unmasks.
    pub fn ready(&mut self, cpu: usize, event: Event) {
        let number = event.info().number.into();
        assert_eq!(
            self.call(cpu, Function::EventRegister, &[number, ENTRY, ARG, 0, 0]),
            0
        );
        assert_eq!(self.call(cpu, Function::EventEnable, &[number]), 0);
        assert_eq!(self.call(cpu, Function::PeUnmask, &[]), 0);
    }

    /// SIGNALs event 0 from `from` to `to`; returns x0.
    pub fn signal(&mut self, from: usize, to: usize) -> u64 {
        self.call(from, Function::EventSignal, &[0, mpidr(to)])
    }
}

/// x0 for an SDEI error.
pub fn err(error: sdei::abi::Error) -> u64 {
    error.to_x0()
}

pub mod model;
