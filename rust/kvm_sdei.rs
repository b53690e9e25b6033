// SPDX-License-Identifier: GPL-2.0

//! SDEI provider for KVM arm64 guests.
//!
//! This is the glue between KVM's SDEI hook (`include/kvm/arm_sdei.h`,
//! added by `patches/`) and the [`sdei`] core: it registers the provider,
//! owns the per-vCPU state, and moves registers between KVM and the core.
//! All of the module's `unsafe` code is here; none of the protocol is.
//!
//! Which context touches what:
//! - a vCPU's [`VcpuState`] only from that vCPU's thread: its SDEI calls
//!   and deliveries run in its run loop, its resets in its run loop or under
//!   `vcpu->mutex`;
//! - a vCPU's [`Signals`] from any thread: another vCPU's SDEI_EVENT_SIGNAL
//!   and the host's injections only set a pending bit, then kick the vCPU.

use core::{
    cell::UnsafeCell,
    ffi::{c_int, c_uint, c_void},
    marker::PhantomData,
    ptr::NonNull,
};
use kernel::{bindings, error::to_result, prelude::*, types::ForeignOwnable};

pub mod sdei;

use sdei::{
    call::{handle_call, Report, Traced},
    event::{Event, ASYNC_PF_NUMBER},
    registers::{Registers, Target, Vm},
    regs::{self, Reg},
    signals::Signals,
    vcpu_state::VcpuState,
};

module! {
    type: KvmSdei,
    name: "kvm_sdei",
    authors: ["kvm-sdei developers"],
    description: "SDEI provider for KVM arm64 guests",
    license: "GPL",
}

struct KvmSdei {
    _provider: Provider,
}

impl kernel::Module for KvmSdei {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let provider = Provider::register(module)?;
        pr_info!(
            "SDEI 1.1 provider registered, {} bytes per vCPU\n",
            sdei::PER_VCPU_BYTES
        );
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

// SAFETY: `ops` is never written after registration, and what it points to
// (`THIS_MODULE` and our functions) lives as long as the module and may be
// used from any thread.
unsafe impl Send for Provider {}
// SAFETY: as for `Send`; `&Provider` gives no access to `ops` at all.
unsafe impl Sync for Provider {}

impl Provider {
    fn register(module: &'static ThisModule) -> Result<Self> {
        let ops = KBox::new(
            bindings::kvm_sdei_ops {
                owner: module.as_ptr(),
                vcpu_create: Some(vcpu_create),
                vcpu_destroy: Some(vcpu_destroy),
                vcpu_reset: Some(vcpu_reset),
                vcpu_wake_up: Some(vcpu_wake_up),
                call: Some(call),
                deliver: Some(deliver),
                inject: Some(inject),
                signal: Some(signal),
                get_reg: Some(get_reg),
                set_reg: Some(set_reg),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is complete and stays at this address until `drop()` unregisters it.
        to_result(unsafe { bindings::kvm_sdei_register_provider(&*ops) })?;
        Ok(Self { ops })
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        // No VM is left to use `ops`: each holds a reference on this module.
        // SAFETY: `self.ops` is registered (type invariant).
        unsafe { bindings::kvm_sdei_unregister_provider(&*self.ops) };
    }
}

// The UAPI header (asm/kvm.h) owns the ABI; the core follows it: the same
// async PF event, the same registers in the same slots, the same STATUS
// layout.
static_assert!(bindings::KVM_ARM_SDEI_ASYNC_PF_EVENT == ASYNC_PF_NUMBER);
static_assert!(regs::COUNT_REGS == bindings::KVM_SDEI_NR_REGS as usize);
static_assert!(same_ids(&regs::IDS, &kvm_reg_ids()));
static_assert!(regs::status::MASKED == bindings::KVM_REG_ARM_SDEI_STATUS_MASKED as u64);
static_assert!(
    regs::status::event_shift(Event::SOFTWARE_SIGNALLED.index())
        == bindings::KVM_REG_ARM_SDEI_EVENT_0_SHIFT
);
static_assert!(
    regs::status::event_shift(Event::ASYNC_PF.index()) == bindings::KVM_REG_ARM_SDEI_ASYNC_PF_SHIFT
);
static_assert!(
    regs::status::STATE
        == (bindings::KVM_REG_ARM_SDEI_EVENT_REGISTERED
            | bindings::KVM_REG_ARM_SDEI_EVENT_ENABLED
            | bindings::KVM_REG_ARM_SDEI_EVENT_RUNNING) as u64
);
static_assert!(regs::status::PENDING == bindings::KVM_REG_ARM_SDEI_EVENT_PENDING as u64);

/// The registers KVM lists, in the order the core's [`regs::LAYOUT`] has.
const fn kvm_reg_ids() -> [u64; regs::COUNT_REGS] {
    let mut ids = [0; regs::COUNT_REGS];
    ids[0] = bindings::KVM_REG_ARM_SDEI_STATUS;
    let mut n = 0;
    while n < sdei::vcpu_state::SAVED_GPRS {
        ids[1 + n] = bindings::KVM_REG_ARM_SDEI_CONTEXT_X0 + n as u64;
        n += 1;
    }
    let n = 1 + sdei::vcpu_state::SAVED_GPRS;
    ids[n] = bindings::KVM_REG_ARM_SDEI_CONTEXT_PC;
    ids[n + 1] = bindings::KVM_REG_ARM_SDEI_CONTEXT_PSTATE;
    ids[n + 2] = bindings::KVM_REG_ARM_SDEI_EVENT_0_ENTRY;
    ids[n + 3] = bindings::KVM_REG_ARM_SDEI_EVENT_0_ARG;
    ids[n + 4] = bindings::KVM_REG_ARM_SDEI_ASYNC_PF_ENTRY;
    ids[n + 5] = bindings::KVM_REG_ARM_SDEI_ASYNC_PF_ARG;
    ids
}

const fn same_ids(a: &[u64], b: &[u64]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The provider's state for one vCPU, allocated with the vCPU.
struct PerVcpu {
    /// What other threads may touch.
    signals: Signals,
    /// What only the vCPU's own thread touches, through a [`Hook`].
    state: UnsafeCell<VcpuState>,
}

// SAFETY: other threads only reach `signals`, which is atomic; `state` is
// only reached through a `Hook`, which is only made on the owning vCPU's
// thread.
unsafe impl Sync for PerVcpu {}

impl PerVcpu {
    /// The state KVM keeps for a vCPU, if it has one.
    ///
    /// # Safety
    ///
    /// `state` must be null or what [`vcpu_create`] returned for a vCPU that
    /// stays alive for `'a`: [`vcpu_destroy`] frees it after the last hook.
    unsafe fn borrow<'a>(state: *mut c_void) -> Option<&'a PerVcpu> {
        if state.is_null() {
            return None;
        }
        // SAFETY: `state` is from `into_foreign()` and alive for `'a` (see above).
        Some(unsafe { KBox::<PerVcpu>::borrow(state) })
    }
}

/// A vCPU KVM handed us, from any of the VM's threads.
///
/// # Invariants
///
/// `0` points to a live vCPU of a VM that holds this provider.
#[derive(Clone, Copy, PartialEq, Eq)]
struct VcpuPtr(NonNull<bindings::kvm_vcpu>);

impl VcpuPtr {
    /// Has KVM call our `deliver` hook before the vCPU next enters the
    /// guest, waking it from WFI.
    fn kick(self) {
        // SAFETY: the vCPU is alive (type invariant); kicking is allowed from any context.
        unsafe { bindings::kvm_sdei_vcpu_kick(self.0.as_ptr()) };
    }
}

/// What one of our hooks works on: the vCPU, and its state split into the
/// part only its thread touches and the part any thread may.
struct Hook<'a> {
    vcpu: Vcpu<'a>,
    state: &'a mut VcpuState,
    signals: &'a Signals,
}

impl<'a> Hook<'a> {
    /// Takes the vCPU and state KVM passed to a hook.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a vCPU that is alive, and whose thread is the
    /// current thread (or which cannot run, `vcpu->mutex` being held), for
    /// `'a`; `state` must be what [`vcpu_create`] returned for that vCPU;
    /// and no other `Hook` for it may exist in `'a`.
    unsafe fn new(ptr: *mut bindings::kvm_vcpu, state: *mut c_void) -> Option<Self> {
        let ptr = NonNull::new(ptr)?;
        // SAFETY: `state` is from `vcpu_create()` for this live vCPU (see above).
        let per_vcpu = unsafe { PerVcpu::borrow(state) }?;
        // SAFETY: we are the only `Hook` for this vCPU (see above): nothing else uses `state`.
        let state = unsafe { &mut *per_vcpu.state.get() };
        Some(Self {
            vcpu: Vcpu {
                ptr: VcpuPtr(ptr),
                _thread: PhantomData,
            },
            state,
            signals: &per_vcpu.signals,
        })
    }
}

/// A vCPU on its own thread, while KVM runs one of our hooks for it.
///
/// # Invariants
///
/// `ptr` points to a live vCPU of a VM that holds this provider, and the
/// current thread is that vCPU's thread (or the vCPU cannot run) for `'a`.
struct Vcpu<'a> {
    ptr: VcpuPtr,
    _thread: PhantomData<&'a mut bindings::kvm_vcpu>,
}

impl Vcpu<'_> {
    fn raw(&self) -> *mut bindings::kvm_vcpu {
        self.ptr.0.as_ptr()
    }

    fn x0(&self) -> u64 {
        let mut x0 = [0];
        self.read_gprs(&mut x0);
        x0[0]
    }
}

/// Fills KVM's report of a call: what it answered, completed and entered.
fn report_call(out: &mut bindings::kvm_sdei_report, report: Report, state: &VcpuState) {
    out.answer = report.answer;
    if let Some((event, resumed)) = report.completed {
        out.completed = true;
        out.completed_event = event.info().number;
        out.resumed = resumed;
    }
    if let Some(event) = report.entered {
        report_entry(out, event, state);
    }
}

/// Fills KVM's report of a handler entry.
fn report_entry(out: &mut bindings::kvm_sdei_report, event: Event, state: &VcpuState) {
    out.entered = true;
    out.entered_event = event.info().number;
    out.interrupted_pc = state.context().pc;
}

impl Registers for Vcpu<'_> {
    fn read_gprs(&self, values: &mut [u64]) {
        // KVM refuses more than 31 registers, so saturating cannot overrun.
        let nr = c_uint::try_from(values.len()).unwrap_or(c_uint::MAX);
        // SAFETY: `ptr` is alive, this is its thread (type invariant); `values` fits `nr`.
        unsafe { bindings::kvm_sdei_vcpu_read_gprs(self.raw(), values.as_mut_ptr(), nr) }
    }

    fn write_gprs(&mut self, values: &[u64]) {
        let nr = c_uint::try_from(values.len()).unwrap_or(c_uint::MAX);
        // SAFETY: as in `read_gprs()`; `values` holds `nr` registers.
        unsafe { bindings::kvm_sdei_vcpu_write_gprs(self.raw(), values.as_ptr(), nr) }
    }

    fn pc_pstate(&self) -> (u64, u64) {
        let (mut pc, mut pstate) = (0, 0);
        // SAFETY: `ptr` is alive and this is its thread (type invariant).
        unsafe { bindings::kvm_sdei_vcpu_get_pc_pstate(self.raw(), &mut pc, &mut pstate) };
        (pc, pstate)
    }

    fn set_pc_pstate(&mut self, pc: u64, pstate: u64) {
        // SAFETY: as in `pc_pstate()`.
        let ret = unsafe { bindings::kvm_sdei_vcpu_set_pc_pstate(self.raw(), pc, pstate) };
        refused_by_kvm("PSTATE", pstate, ret);
    }

    fn set_elr_spsr_el1(&mut self, elr: u64, spsr: u64) {
        // SAFETY: as in `pc_pstate()`.
        let ret = unsafe { bindings::kvm_sdei_vcpu_set_elr_spsr_el1(self.raw(), elr, spsr) };
        refused_by_kvm("SPSR_EL1", spsr, ret);
    }

    fn sctlr_el1(&self) -> u64 {
        // SAFETY: as in `pc_pstate()`.
        unsafe { bindings::kvm_sdei_vcpu_get_sctlr_el1(self.raw()) }
    }

    fn has_mte(&self) -> bool {
        // SAFETY: `ptr` is a live vCPU (type invariant).
        unsafe { bindings::kvm_sdei_vcpu_has_mte(self.raw()) }
    }
}

/// Says so if KVM refused a PSTATE or SPSR_EL1 the core wrote.
///
/// The core only writes what the vCPU ran with, what it checked on a
/// restore, or an exception-entry PSTATE, all of which KVM accepts: a
/// refusal is a bug here, and KVM has kept the guest as it was.
fn refused_by_kvm(register: &str, value: u64, ret: c_int) {
    if ret != 0 {
        kernel::pr_err_once!("KVM refused {register} {value:#x} ({ret}): a provider bug\n");
    }
}

impl<'a> Vm for Vcpu<'a> {
    type Target = Peer<'a>;

    fn vcpu_by_mpidr(&self, mpidr: u64) -> Option<Peer<'a>> {
        // SAFETY: `ptr` is a live vCPU (type invariant).
        let found = unsafe { bindings::kvm_sdei_vcpu_by_mpidr(self.raw(), mpidr) };
        let ptr = VcpuPtr(NonNull::new(found)?);
        // SAFETY: `ptr` is a live vCPU of the same VM.
        let state = unsafe { bindings::kvm_sdei_vcpu_state(ptr.0.as_ptr()) };
        // SAFETY: `state` is from `vcpu_create()`; vCPUs die with their VM, after our hook.
        let per_vcpu = unsafe { PerVcpu::borrow(state) }?;
        Some(Peer { ptr, per_vcpu })
    }

    fn is_caller(&self, target: &Peer<'a>) -> bool {
        target.ptr == self.ptr
    }
}

/// A vCPU of the caller's VM (maybe the caller), seen from another thread.
///
/// # Invariants
///
/// `ptr` points to a live vCPU of a VM that holds this provider, for `'a`,
/// and `per_vcpu` is its state. Only its [`Signals`] are used.
struct Peer<'a> {
    ptr: VcpuPtr,
    per_vcpu: &'a PerVcpu,
}

impl Target for Peer<'_> {
    fn signals(&self) -> &Signals {
        &self.per_vcpu.signals
    }
}

/// `kvm_sdei_ops::vcpu_create`: allocates a vCPU's state, never on the call
/// or delivery path.
///
/// # Safety
///
/// KVM calls it while creating the vCPU, which it does not otherwise use.
unsafe extern "C" fn vcpu_create(_vcpu: *mut bindings::kvm_vcpu) -> *mut c_void {
    let per_vcpu = PerVcpu {
        signals: Signals::new(),
        state: UnsafeCell::new(VcpuState::new()),
    };
    match KBox::new(per_vcpu, GFP_KERNEL_ACCOUNT) {
        Ok(per_vcpu) => per_vcpu.into_foreign(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// `kvm_sdei_ops::vcpu_destroy`.
///
/// # Safety
///
/// KVM passes what `vcpu_create()` returned, once the vCPU cannot run.
unsafe extern "C" fn vcpu_destroy(_vcpu: *mut bindings::kvm_vcpu, state: *mut c_void) {
    // SAFETY: `state` is from `into_foreign()` in `vcpu_create()`, and no hook uses it now.
    drop(unsafe { KBox::<PerVcpu>::from_foreign(state) });
}

/// `kvm_sdei_ops::vcpu_reset`.
///
/// # Safety
///
/// KVM calls it on the vCPU's thread, or under `vcpu->mutex`.
unsafe extern "C" fn vcpu_reset(vcpu: *mut bindings::kvm_vcpu, state: *mut c_void) {
    // SAFETY: see above; hooks do not nest.
    if let Some(hook) = unsafe { Hook::new(vcpu, state) } {
        hook.state.reset(hook.signals);
    }
}

/// `kvm_sdei_ops::vcpu_wake_up`.
///
/// # Safety
///
/// KVM calls it on the vCPU's thread.
unsafe extern "C" fn vcpu_wake_up(vcpu: *mut bindings::kvm_vcpu, state: *mut c_void) {
    // SAFETY: see above; hooks do not nest.
    if let Some(hook) = unsafe { Hook::new(vcpu, state) } {
        hook.state.wake_up(hook.signals);
    }
}

/// `kvm_sdei_ops::call`: handles the SDEI call in the vCPU's registers.
///
/// # Safety
///
/// KVM calls it from the vCPU's run loop, on its thread, with `report`
/// null or pointing to a report only this call uses.
unsafe extern "C" fn call(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    report: *mut bindings::kvm_sdei_report,
) -> c_int {
    // SAFETY: see above; hooks do not nest.
    let Some(mut hook) = (unsafe { Hook::new(vcpu, state) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: `report` is null or valid and ours until we return (see above).
    let report = unsafe { report.as_mut() };
    // Only while KVM traces is it worth working out what the call did.
    let traced = report
        .is_some()
        .then(|| Traced::before(hook.state, hook.vcpu.x0()));
    if let Some(target) = handle_call(hook.state, hook.signals, &mut hook.vcpu) {
        target.ptr.kick();
    }
    if let (Some(report), Some(traced)) = (report, traced) {
        report_call(report, traced.after(hook.state, hook.vcpu.x0()), hook.state);
    }
    1
}

/// `kvm_sdei_ops::deliver`: enters the handler of a deliverable event.
///
/// # Safety
///
/// KVM calls it from the vCPU's run loop, on its thread, with `report`
/// null or pointing to a report only this call uses.
unsafe extern "C" fn deliver(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    report: *mut bindings::kvm_sdei_report,
) {
    // SAFETY: see above; hooks do not nest.
    let Some(mut hook) = (unsafe { Hook::new(vcpu, state) }) else {
        return;
    };
    let entered = hook.state.deliver(hook.signals, &mut hook.vcpu);
    // SAFETY: `report` is null or valid and ours until we return (see above).
    if let (Some(event), Some(report)) = (entered, unsafe { report.as_mut() }) {
        report_entry(report, event, hook.state);
    }
}

/// `kvm_sdei_ops::inject`: raises `event` on the vCPU, from any context.
///
/// # Safety
///
/// `vcpu` is a live vCPU and `state` what `vcpu_create()` returned for it.
unsafe extern "C" fn inject(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    event: u32,
) -> c_int {
    // SAFETY: as our caller's.
    unsafe {
        raise(vcpu, state, event, |signals, event| {
            signals.inject(event).map(|()| true)
        })
    }
}

/// `kvm_sdei_ops::signal`: `KVM_NMI`, event 0 raised as a SIGNAL would, from any context.
///
/// # Safety
///
/// `vcpu` is a live vCPU and `state` what `vcpu_create()` returned for it.
unsafe extern "C" fn signal(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    event: u32,
) -> c_int {
    // SAFETY: as our caller's.
    unsafe { raise(vcpu, state, event, Signals::host_signal) }
}

/// Raises `event` on the vCPU with `how`, which says whether to kick it;
/// `-EAGAIN` if `how` refuses.
///
/// # Safety
///
/// `vcpu` is a live vCPU and `state` what `vcpu_create()` returned for it.
unsafe fn raise(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    event: u32,
    how: impl FnOnce(&Signals, Event) -> Result<bool, sdei::abi::Error>,
) -> c_int {
    let Some(event) = Event::from_number(event) else {
        return ENOENT.to_errno();
    };
    let Some(ptr) = NonNull::new(vcpu).map(VcpuPtr) else {
        return EINVAL.to_errno();
    };
    // SAFETY: `state` is from `vcpu_create()` and lives with the vCPU; we only use `signals`.
    let Some(per_vcpu) = (unsafe { PerVcpu::borrow(state) }) else {
        return EINVAL.to_errno();
    };
    match how(&per_vcpu.signals, event) {
        Ok(kick) => {
            if kick {
                ptr.kick();
            }
            0
        }
        Err(_) => EAGAIN.to_errno(),
    }
}

/// `kvm_sdei_ops::get_reg`: reads an SDEI register KVM lists.
///
/// # Safety
///
/// KVM calls it under `vcpu->mutex`, with `val` pointing to a `u64`.
unsafe extern "C" fn get_reg(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    id: u64,
    val: *mut u64,
) -> c_int {
    let Some(reg) = Reg::from_id(id) else {
        return ENOENT.to_errno();
    };
    // SAFETY: see above; the vCPU cannot run while we hold its mutex.
    let Some(hook) = (unsafe { Hook::new(vcpu, state) }) else {
        return EINVAL.to_errno();
    };
    let value = regs::get(hook.state, hook.signals, reg);
    // SAFETY: KVM passes a valid, aligned pointer to a `u64`.
    unsafe { val.write(value) };
    0
}

/// `kvm_sdei_ops::set_reg`: writes a firmware pseudo-register, or refuses
/// the value and changes nothing.
///
/// # Safety
///
/// KVM calls it under `vcpu->mutex`.
unsafe extern "C" fn set_reg(
    vcpu: *mut bindings::kvm_vcpu,
    state: *mut c_void,
    id: u64,
    val: u64,
) -> c_int {
    let Some(reg) = Reg::from_id(id) else {
        return ENOENT.to_errno();
    };
    // SAFETY: see above; the vCPU cannot run while we hold its mutex.
    let Some(hook) = (unsafe { Hook::new(vcpu, state) }) else {
        return EINVAL.to_errno();
    };
    match regs::set(hook.state, hook.signals, reg, val) {
        Ok(true) => {
            hook.vcpu.ptr.kick();
            0
        }
        Ok(false) => 0,
        Err(_) => EINVAL.to_errno(),
    }
}
