// SPDX-License-Identifier: GPL-2.0

//! Dispatch of one SDEI call.

use super::abi::{to_x0, Error, Function, Result, VERSION};
use super::vcpu::Registers;

/// Handles the SDEI call in `vcpu`'s registers and writes its result to `x0`.
pub fn handle_call(vcpu: &mut impl Registers) {
    // SMCCC: the function ID is the low 32 bits of x0.
    let id = vcpu.gpr(0) as u32;
    let result = match Function::from_id(id) {
        Some(function) => dispatch(function),
        None => Err(Error::NotSupported),
    };
    vcpu.set_gpr(0, to_x0(result));
}

fn dispatch(function: Function) -> Result {
    match function {
        Function::Version => Ok(VERSION),
        _ => Err(Error::NotSupported),
    }
}
