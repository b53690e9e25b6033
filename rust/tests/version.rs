// SPDX-License-Identifier: GPL-2.0

//! SDEI_VERSION and function IDs with no SDEI function.

mod common;

use common::{err, Machine};
use sdei::abi::{Error, Function, VERSION};

#[test]
fn version_is_1_1_with_bit_63_clear() {
    let x0 = Machine::new(1).call(0, Function::Version, &[]);
    assert_eq!(x0, VERSION);
    assert_eq!(x0 >> 48, 1, "major");
    assert_eq!((x0 >> 32) & 0xffff, 1, "minor");
    assert_eq!(x0 & 0xffff_ffff, 0, "vendor");
    assert_eq!(x0 >> 63, 0);
}

#[test]
fn function_id_is_the_low_32_bits_of_x0() {
    let mut vm = Machine::new(1);
    assert_eq!(vm.call_id(0, 0xdead_beef_c400_0020, &[]), VERSION);
}

#[test]
fn ids_without_a_function_and_smc32_forms_are_not_supported() {
    let mut vm = Machine::new(1);
    for id in [
        0xc400_0013u64,
        0xc400_001f,
        0xc400_003f,
        0x8400_0020,
        0x8400_0030,
    ] {
        assert_eq!(
            vm.call_id(0, id, &[]),
            err(Error::NotSupported),
            "id {id:#x}"
        );
    }
    assert_eq!(vm.states[0], sdei::vcpu_state::VcpuState::new());
}

#[test]
fn function_ids_round_trip() {
    for (n, function) in Function::ALL.into_iter().enumerate() {
        assert_eq!(function.id(), 0xc400_0020 + n as u32);
        assert_eq!(Function::from_id(function.id()), Some(function));
    }
}
