// SPDX-License-Identifier: GPL-2.0

//! Entering a handler and completing it: registers, PSTATE, ordering.
//!
//! PSTATE values are literals from the Arm ARM's SPSR layout, as TF-A's
//! dispatcher sets them (`sdei_set_elr_spsr()`, `sdei_event_complete()`).

mod common;

use common::{err, Machine, Regs, ARG, ENTRY, GUEST_PSTATE};
use sdei::abi::{Error, Function::*};
use sdei::event::{Event, ASYNC_PF_NUMBER};
use sdei::pstate::*;

/// EL1h with D, A, I and F masked: SPSR 0x3c5.
const EL1H_DAIF: u64 = 0x3c5;
const PAN_BIT: u64 = 1 << 22;
const TCO_BIT: u64 = 1 << 25;

/// vCPU 0 with event 0 ready and signalled, not yet entered.
fn signalled() -> Machine {
    let mut vm = Machine::new(2);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.signal(1, 0), 0);
    vm
}

#[test]
fn delivery_sets_x0_to_x3_pc_and_pstate_only() {
    let mut vm = signalled();
    let before = vm.regs[0].clone();
    assert_eq!(vm.enter(0), Some(Event::SOFTWARE_SIGNALLED));
    let after = &vm.regs[0];
    assert_eq!(after.x[0], 0, "event number");
    assert_eq!(after.x[1], ARG);
    assert_eq!(after.x[2], before.pc, "interrupted PC");
    assert_eq!(after.x[3], before.pstate, "interrupted PSTATE");
    assert_eq!(after.x[4..], before.x[4..], "x4-x30 untouched");
    assert_eq!(after.pc, ENTRY);
    // The guest keeps PAN (SCTLR_EL1.SPAN set) and was not in PAN; NZCV
    // starts clear, as TF-A.
    assert_eq!(GUEST_PSTATE, 0xf000_0005);
    assert_eq!(after.pstate, EL1H_DAIF);
    assert_eq!(
        (after.elr_el1, after.spsr_el1),
        (before.elr_el1, before.spsr_el1)
    );
}

#[test]
fn delivery_pstate_is_el1h_with_daif_masked() {
    let mut vm = signalled();
    // EL1h with BTYPE (bits 11:10), IL (20), SS (21), UAO (23), SSBS (12).
    vm.regs[0].pstate = 0x00b0_1c05;
    vm.enter(0);
    // EL1h, D, A, I, F; all of those cleared, SSBS too (DSSBS is 0).
    assert_eq!(vm.regs[0].pstate, 0x3c5);
}

#[test]
fn delivery_pan_follows_sctlr_span() {
    for (sctlr, interrupted_pan, want_pan) in [
        (0, 0, PAN),
        (0, PAN, PAN),
        (SCTLR_SPAN, 0, 0),
        (SCTLR_SPAN, PAN, PAN),
    ] {
        let mut vm = signalled();
        vm.regs[0].sctlr_el1 = sctlr;
        vm.regs[0].pstate = MODE_EL1H | interrupted_pan;
        vm.enter(0);
        assert_eq!(
            vm.regs[0].pstate & PAN,
            want_pan,
            "SCTLR {sctlr:#x} PAN {interrupted_pan:#x}"
        );
    }
}

#[test]
fn delivery_ssbs_follows_sctlr_dssbs() {
    let mut vm = signalled();
    vm.regs[0].sctlr_el1 = SCTLR_DSSBS;
    vm.enter(0);
    assert_eq!(vm.regs[0].pstate & SSBS, SSBS);
}

#[test]
fn delivery_keeps_dit_and_clears_nzcv() {
    let mut vm = signalled();
    vm.regs[0].pstate = 0xf100_0005; // NZCV, DIT, EL1h
    vm.enter(0);
    assert_eq!(vm.regs[0].pstate, 0x0100_03c5);
    let mut vm = signalled();
    vm.regs[0].pstate = 0x5;
    vm.enter(0);
    assert_eq!(vm.regs[0].pstate, EL1H_DAIF);
}

#[test]
fn delivery_pstate_for_literal_inputs() {
    // (interrupted PSTATE, SCTLR_EL1, MTE) -> handler PSTATE.
    let cases = [
        (0x0000_0000, 0, false, 0x0040_03c5),       // EL0t: PAN forced
        (0x6040_0004, 1 << 23, false, 0x0040_03c5), // EL1t in PAN, SPAN: kept
        (0x0000_0005, 1 << 23, false, 0x0000_03c5), // SPAN, no PAN
        (0x0000_1005, 1 << 44 | 1 << 23, false, 0x13c5), // SSBS from DSSBS
        (0x0000_1005, 1 << 23, false, 0x3c5),       // SSBS dropped
        (0x0230_0c05, 1 << 23, true, 0x0200_03c5),  // TCO, SS, IL, BTYPE
        (0x0080_0005, 1 << 23, false, 0x3c5),       // UAO cleared
    ];
    for (interrupted, sctlr, mte, want) in cases {
        let mut vm = signalled();
        vm.regs[0].pstate = interrupted;
        vm.regs[0].sctlr_el1 = sctlr;
        vm.regs[0].mte = mte;
        vm.enter(0);
        assert_eq!(
            vm.regs[0].pstate, want,
            "interrupted {interrupted:#x} SCTLR {sctlr:#x} MTE {mte}"
        );
        assert_eq!(vm.regs[0].x[3], interrupted, "x3 is the interrupted PSTATE");
    }
}

#[test]
fn delivery_sets_tco_only_in_a_guest_with_mte() {
    for (mte, interrupted_tco, want_tco) in [
        (false, 0, 0),
        (false, TCO, 0),
        (true, 0, TCO),
        (true, TCO, TCO),
    ] {
        let mut vm = signalled();
        vm.regs[0].mte = mte;
        vm.regs[0].pstate = MODE_EL1H | interrupted_tco;
        vm.enter(0);
        assert_eq!(vm.regs[0].x[3] & TCO, interrupted_tco, "x3 as interrupted");
        assert_eq!(
            vm.regs[0].pstate & TCO,
            want_tco,
            "MTE {mte} TCO {interrupted_tco:#x}"
        );
    }
}

#[test]
fn complete_restores_tco_as_interrupted_and_resume_clears_it() {
    for resume in [false, true] {
        let mut vm = signalled();
        vm.regs[0].mte = true;
        vm.regs[0].pstate = MODE_EL1H;
        vm.enter(0);
        assert_eq!(vm.regs[0].pstate & TCO_BIT, TCO_BIT);
        if resume {
            vm.call(0, EventCompleteAndResume, &[0xffff_8000_0801_0280]);
            assert_eq!(vm.regs[0].pstate, EL1H_DAIF, "as TF-A resumes");
            assert_eq!(vm.regs[0].spsr_el1, 0x5, "SPSR as interrupted");
        } else {
            vm.call(0, EventComplete, &[]);
            assert_eq!(vm.regs[0].pstate, 0x5, "restored as interrupted");
        }
    }
}

#[test]
fn context_returns_the_interrupted_x0_to_x17() {
    let mut vm = signalled();
    let interrupted = vm.regs[0].clone();
    vm.enter(0);
    for index in 0..18u64 {
        let x0 = vm.call(0, EventContext, &[index]);
        assert_eq!(x0, interrupted.x[index as usize], "x{index}");
    }
}

#[test]
fn complete_restores_the_interrupted_registers_exactly() {
    let mut vm = signalled();
    let interrupted = vm.regs[0].clone();
    vm.enter(0);
    // The handler scribbles over everything it may.
    for n in 0..31 {
        vm.regs[0].x[n] = 0xbad0 + n as u64;
    }
    vm.regs[0].pstate = 0x3c5;
    vm.call(0, EventComplete, &[0]);
    let after = &vm.regs[0];
    assert_eq!(
        after.x[..18],
        interrupted.x[..18],
        "x0-x17 restored, x0 included"
    );
    assert_eq!(after.pc, interrupted.pc);
    assert_eq!(after.pstate, interrupted.pstate);
    assert_eq!(after.x[18], 0xbad0 + 18, "x18-x30 are the handler's");
    assert_eq!(
        (after.elr_el1, after.spsr_el1),
        (interrupted.elr_el1, interrupted.spsr_el1)
    );
}

#[test]
fn complete_and_resume_enters_the_resume_address_at_el1h_masked() {
    let mut vm = signalled();
    vm.regs[0].pstate = 0xf140_1005; // NZCV, DIT, PAN, SSBS, EL1h
    vm.regs[0].sctlr_el1 = 0; // would force PAN on an exception entry
    vm.regs[0].mte = true;
    let interrupted = vm.regs[0].clone();
    vm.enter(0);
    vm.regs[0].x[0] = 0xbad;
    let vbar_irq = 0xffff_8000_0801_0280;
    vm.call(0, EventCompleteAndResume, &[vbar_irq]);
    let after = &vm.regs[0];
    assert_eq!(after.x[..18], interrupted.x[..18]);
    assert_eq!(after.pc, vbar_irq);
    assert_eq!(after.elr_el1, interrupted.pc);
    assert_eq!(after.spsr_el1, interrupted.pstate);
    assert_eq!(after.pstate, EL1H_DAIF, "nothing else, as TF-A");
    assert_eq!(after.pstate & PAN_BIT, 0);
}

#[test]
fn complete_outside_a_handler_returns_denied_and_changes_nothing() {
    let mut vm = Machine::new(1);
    let before = vm.regs[0].clone();
    assert_eq!(vm.call(0, EventComplete, &[0]), err(Error::Denied));
    assert_eq!(vm.regs[0].pc, before.pc);
    assert_eq!(
        vm.regs[0].x[2..],
        before.x[2..],
        "x1 holds the status argument"
    );
}

#[test]
fn nothing_is_delivered_while_masked_disabled_or_unregistered() {
    let mut vm = signalled();
    vm.call(0, PeMask, &[]);
    assert_eq!(vm.enter(0), None);
    vm.call(0, PeUnmask, &[]);
    vm.call(0, EventDisable, &[0]);
    assert_eq!(vm.enter(0), None);
    vm.call(0, EventEnable, &[0]);
    assert_eq!(
        vm.states[0].running(),
        Some(Event::SOFTWARE_SIGNALLED),
        "kept pending meanwhile, taken as ENABLE returns"
    );
}

#[test]
fn a_signal_while_running_is_delivered_once_when_complete_returns() {
    let mut vm = signalled();
    let interrupted = vm.regs[0].clone();
    vm.enter(0);
    // Two more signals while the handler runs: at most one stays pending.
    assert_eq!(vm.signal(1, 0), 0);
    assert_eq!(vm.signal(0, 0), 0);
    assert_eq!(vm.enter(0), None, "blocked while running");
    // COMPLETE restores the context, and the pending signal interrupts it
    // at once, where it was interrupted the first time.
    vm.call(0, EventComplete, &[0]);
    assert_eq!(vm.regs[0].pc, ENTRY);
    assert_eq!(vm.regs[0].x[2], interrupted.pc);
    assert_eq!(vm.states[0].context().gprs[..], interrupted.x[..18]);
    vm.call(0, EventComplete, &[0]);
    assert_eq!(vm.enter(0), None, "delivered once, not twice");
    assert_eq!(vm.regs[0], Regs { ..interrupted });
}

#[test]
fn unregister_drops_a_pending_signal() {
    let mut vm = signalled();
    assert_eq!(vm.call(0, EventUnregister, &[0]), 0);
    assert_eq!(vm.signals[0].pending(), 0);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    assert_eq!(vm.enter(0), None);
}

#[test]
fn async_pf_is_delivered_with_its_number() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::ASYNC_PF);
    vm.signals[0].inject(Event::ASYNC_PF).unwrap();
    assert_eq!(vm.enter(0), Some(Event::ASYNC_PF));
    assert_eq!(vm.regs[0].x[0], 0x4040_0001);
}

#[test]
fn async_pf_cannot_be_injected_into_a_vcpu_that_does_not_take_it_now() {
    let mut vm = Machine::new(1);
    assert_eq!(vm.signals[0].inject(Event::ASYNC_PF), Err(Error::Denied));
    vm.ready(0, Event::ASYNC_PF);
    vm.call(0, PeMask, &[]);
    assert_eq!(vm.signals[0].inject(Event::ASYNC_PF), Err(Error::Denied));
    vm.call(0, PeUnmask, &[]);
    vm.call(0, EventDisable, &[0x4040_0001]);
    assert_eq!(vm.signals[0].inject(Event::ASYNC_PF), Err(Error::Denied));
    assert_eq!(vm.signals[0].pending(), 0);
}

#[test]
fn async_pf_cannot_be_signalled_by_a_guest() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::ASYNC_PF);
    let x0 = vm.call(0, EventSignal, &[ASYNC_PF_NUMBER.into(), common::mpidr(0)]);
    assert_eq!(x0, err(Error::InvalidParameters));
    assert_eq!(vm.signals[0].pending(), 0);
}

#[test]
fn events_are_delivered_in_table_order_one_at_a_time() {
    let mut vm = Machine::new(1);
    vm.ready(0, Event::SOFTWARE_SIGNALLED);
    vm.ready(0, Event::ASYNC_PF);
    vm.call(0, PeMask, &[]);
    vm.signals[0].signal(Event::SOFTWARE_SIGNALLED);
    vm.call(0, PeUnmask, &[]);
    vm.signals[0].inject(Event::ASYNC_PF).unwrap();
    vm.call(0, PeMask, &[]);
    vm.call(0, PeUnmask, &[]);
    assert_eq!(vm.states[0].running(), Some(Event::SOFTWARE_SIGNALLED));
    assert_eq!(vm.enter(0), None);
    vm.call(0, EventComplete, &[0]);
    assert_eq!(vm.states[0].running(), Some(Event::ASYNC_PF));
    assert_eq!(vm.regs[0].x[0], 0x4040_0001);
}
