// SPDX-License-Identifier: GPL-2.0

//! SDEI provider for KVM arm64 guests.
//!
//! This is the glue between KVM's SDEI hook (`include/kvm/arm_sdei.h`,
//! added by `patches/`) and the [`sdei`] core: it registers the provider and
//! moves registers between KVM and the core. All of the module's `unsafe`
//! code is here; none of the protocol is.

use core::{ffi::c_int, marker::PhantomData, ptr::NonNull};
use kernel::{bindings, error::to_result, prelude::*};

pub mod sdei;

module! {
    type: KvmSdei,
    name: "kvm_sdei",
    author: "kvm-sdei developers",
    description: "SDEI provider for KVM arm64 guests",
    license: "GPL",
}

struct KvmSdei {
    _provider: Provider,
}

impl kernel::Module for KvmSdei {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let provider = Provider::register(module)?;
        pr_info!("SDEI provider registered\n");
        Ok(Self {
            _provider: provider,
        })
    }
}

/// Our ops table, registered with KVM for as long as this value lives.
///
/// # Invariants
///
/// `ops` is registered with `kvm_sdei_register_provider()`; it is boxed so
/// that the address KVM keeps stays valid until [`Drop`] unregisters it.
struct Provider {
    ops: KBox<bindings::kvm_sdei_ops>,
}

impl Provider {
    fn register(module: &'static ThisModule) -> Result<Self> {
        let ops = KBox::new(
            bindings::kvm_sdei_ops {
                owner: module.as_ptr(),
                call: Some(call),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is a complete ops table whose functions follow the
        // hook's contract, and it stays at this address until `drop()`
        // unregisters it.
        to_result(unsafe { bindings::kvm_sdei_register_provider(&*ops) })?;
        Ok(Self { ops })
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        // SAFETY: `self.ops` is registered (type invariant). Every VM that
        // may call it holds a reference on this module, so none is left
        // by the time the module's exit drops us.
        unsafe { bindings::kvm_sdei_unregister_provider(&*self.ops) };
    }
}

/// A vCPU whose SDEI call is being handled on its own thread.
///
/// # Invariants
///
/// `ptr` points to a `struct kvm_vcpu` that is alive for `'a`, and the
/// current thread is that vCPU's thread (its run loop) for `'a`, which is
/// what KVM's register accessors require.
struct Vcpu<'a> {
    ptr: NonNull<bindings::kvm_vcpu>,
    _vcpu: PhantomData<&'a mut bindings::kvm_vcpu>,
}

impl Vcpu<'_> {
    /// Wraps the vCPU KVM passed to a hook.
    ///
    /// # Safety
    ///
    /// `ptr` must be null, or point to a vCPU that is alive, and whose
    /// thread is the current thread, for as long as the result is used.
    unsafe fn from_raw(ptr: *mut bindings::kvm_vcpu) -> Option<Self> {
        Some(Self {
            ptr: NonNull::new(ptr)?,
            _vcpu: PhantomData,
        })
    }
}

impl sdei::vcpu::Registers for Vcpu<'_> {
    fn gpr(&self, n: u8) -> u64 {
        // SAFETY: `ptr` is alive and this is its thread (type invariant);
        // KVM checks `n`.
        unsafe { bindings::kvm_sdei_vcpu_get_gpr(self.ptr.as_ptr(), n.into()) }
    }

    fn set_gpr(&mut self, n: u8, value: u64) {
        // SAFETY: as in `gpr()`.
        unsafe { bindings::kvm_sdei_vcpu_set_gpr(self.ptr.as_ptr(), n.into(), value) }
    }
}

/// `kvm_sdei_ops::call`: handles the SDEI call in the vCPU's registers.
///
/// # Safety
///
/// KVM calls it from the run loop of `vcpu`, on that vCPU's thread.
unsafe extern "C" fn call(vcpu: *mut bindings::kvm_vcpu) -> c_int {
    // SAFETY: KVM passes the vCPU whose thread runs this hook (see above).
    let Some(mut vcpu) = (unsafe { Vcpu::from_raw(vcpu) }) else {
        return EINVAL.to_errno();
    };
    sdei::call::handle_call(&mut vcpu);
    // Resume the guest.
    1
}
