// SPDX-License-Identifier: GPL-2.0

//! SDEI_VERSION and the handling of function IDs with no SDEI function.

use sdei::abi::{Error, Function, VERSION};
use sdei::call::handle_call;
use sdei::vcpu::Registers;

struct Regs([u64; 31]);

impl Registers for Regs {
    fn gpr(&self, n: u8) -> u64 {
        self.0[usize::from(n)]
    }
    fn set_gpr(&mut self, n: u8, value: u64) {
        self.0[usize::from(n)] = value;
    }
}

fn call(x0: u64) -> u64 {
    let mut regs = Regs([0x5a5a; 31]);
    regs.0[0] = x0;
    handle_call(&mut regs);
    regs.0[0]
}

#[test]
fn version_is_1_1_with_bit_63_clear() {
    let x0 = call(u64::from(Function::Version.id()));
    assert_eq!(x0, VERSION);
    assert_eq!(x0 >> 48, 1, "major");
    assert_eq!((x0 >> 32) & 0xffff, 1, "minor");
    assert_eq!(x0 >> 63, 0);
}

#[test]
fn version_ignores_upper_half_of_x0() {
    assert_eq!(call(0xdead_beef_0000_0000 | 0xc400_0020), VERSION);
}

#[test]
fn unknown_ids_are_not_supported() {
    for id in [0xc400_0013u64, 0xc400_003f, 0x8400_0020, 0x8400_0030] {
        assert_eq!(call(id), Error::NotSupported.to_x0(), "id {id:#x}");
    }
}

#[test]
fn function_ids_round_trip() {
    for (n, function) in Function::ALL.into_iter().enumerate() {
        assert_eq!(function.id(), 0xc400_0020 + n as u32);
        assert_eq!(Function::from_id(function.id()), Some(function));
    }
}
