// SPDX-License-Identifier: GPL-2.0

//! The SDEI ABI as guests see it: function IDs, return codes and the
//! constants of Arm DEN 0054.

/// The SDEI version implemented: 1.1, with no vendor-defined extensions.
pub const VERSION: u64 = (1 << 48) | (1 << 32);

/// An SDEI function, decoded from the function ID a guest passes in `w0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// `SDEI_VERSION`.
    Version = 0x00,
    /// `SDEI_EVENT_REGISTER`.
    EventRegister = 0x01,
    /// `SDEI_EVENT_ENABLE`.
    EventEnable = 0x02,
    /// `SDEI_EVENT_DISABLE`.
    EventDisable = 0x03,
    /// `SDEI_EVENT_CONTEXT`.
    EventContext = 0x04,
    /// `SDEI_EVENT_COMPLETE`.
    EventComplete = 0x05,
    /// `SDEI_EVENT_COMPLETE_AND_RESUME`.
    EventCompleteAndResume = 0x06,
    /// `SDEI_EVENT_UNREGISTER`.
    EventUnregister = 0x07,
    /// `SDEI_EVENT_STATUS`.
    EventStatus = 0x08,
    /// `SDEI_EVENT_GET_INFO`.
    EventGetInfo = 0x09,
    /// `SDEI_EVENT_ROUTING_SET`.
    EventRoutingSet = 0x0a,
    /// `SDEI_PE_MASK`.
    PeMask = 0x0b,
    /// `SDEI_PE_UNMASK`.
    PeUnmask = 0x0c,
    /// `SDEI_INTERRUPT_BIND`.
    InterruptBind = 0x0d,
    /// `SDEI_INTERRUPT_RELEASE`.
    InterruptRelease = 0x0e,
    /// `SDEI_EVENT_SIGNAL`.
    EventSignal = 0x0f,
    /// `SDEI_FEATURES`.
    Features = 0x10,
    /// `SDEI_PRIVATE_RESET`.
    PrivateReset = 0x11,
    /// `SDEI_SHARED_RESET`.
    SharedReset = 0x12,
}

impl Function {
    /// Function ID of `SDEI_VERSION`, the first of the SMC64 SDEI range.
    pub const BASE_ID: u32 = 0xc400_0020;

    /// All functions, in function ID order.
    pub const ALL: [Function; 19] = [
        Self::Version,
        Self::EventRegister,
        Self::EventEnable,
        Self::EventDisable,
        Self::EventContext,
        Self::EventComplete,
        Self::EventCompleteAndResume,
        Self::EventUnregister,
        Self::EventStatus,
        Self::EventGetInfo,
        Self::EventRoutingSet,
        Self::PeMask,
        Self::PeUnmask,
        Self::InterruptBind,
        Self::InterruptRelease,
        Self::EventSignal,
        Self::Features,
        Self::PrivateReset,
        Self::SharedReset,
    ];

    /// Decodes a function ID; `None` where SDEI defines no SMC64 function.
    ///
    /// # Examples
    ///
    /// ```
    /// use sdei::abi::Function;
    ///
    /// assert_eq!(Function::from_id(0xc400_0020), Some(Function::Version));
    /// assert_eq!(Function::from_id(0x8400_0020), None); // SMC32 form
    /// assert_eq!(Function::from_id(0xc400_0033), None);
    /// ```
    pub fn from_id(id: u32) -> Option<Self> {
        let index = id.checked_sub(Self::BASE_ID)?;
        Self::ALL.get(usize::try_from(index).ok()?).copied()
    }

    /// Whether the call may change what the caller publishes to other
    /// threads: which events are registered, and which it takes now.
    pub const fn changes_published_state(self) -> bool {
        match self {
            Self::EventRegister
            | Self::EventEnable
            | Self::EventDisable
            | Self::EventComplete
            | Self::EventCompleteAndResume
            | Self::EventUnregister
            | Self::PeMask
            | Self::PeUnmask
            | Self::PrivateReset => true,
            Self::EventSignal
            | Self::Version
            | Self::EventContext
            | Self::EventStatus
            | Self::EventGetInfo
            | Self::EventRoutingSet
            | Self::InterruptBind
            | Self::InterruptRelease
            | Self::Features
            | Self::SharedReset => false,
        }
    }

    /// The function ID a guest passes in `w0` to call this function.
    pub const fn id(self) -> u32 {
        Self::BASE_ID + self as u32
    }
}

/// An SDEI error, as a guest sees it in `x0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `SDEI_NOT_SUPPORTED`.
    NotSupported = -1,
    /// `SDEI_INVALID_PARAMETERS`.
    InvalidParameters = -2,
    /// `SDEI_DENIED`.
    Denied = -3,
    /// `SDEI_PENDING`.
    Pending = -5,
    /// `SDEI_OUT_OF_RESOURCE`.
    OutOfResource = -10,
}

impl Error {
    /// The value of `x0` that reports this error.
    pub const fn to_x0(self) -> u64 {
        self as i64 as u64
    }
}

/// The result of an SDEI call that returns a value in `x0`.
pub type Result<T = u64> = core::result::Result<T, Error>;

/// `SDEI_EVENT_REGISTER` flags: route to any PE.
pub const REGISTER_RM_ANY: u64 = 0;
/// `SDEI_EVENT_REGISTER` flags: route to the PE in the affinity argument.
pub const REGISTER_RM_PE: u64 = 1;

/// `SDEI_EVENT_STATUS` bit: a handler is registered.
pub const STATUS_REGISTERED: u32 = 0;
/// `SDEI_EVENT_STATUS` bit: the event is enabled.
pub const STATUS_ENABLED: u32 = 1;
/// `SDEI_EVENT_STATUS` bit: the handler is running on this vCPU.
pub const STATUS_RUNNING: u32 = 2;

/// `SDEI_EVENT_GET_INFO` query: event type (0 private, 1 shared).
pub const INFO_EV_TYPE: u64 = 0;
/// `SDEI_EVENT_GET_INFO` query: whether the event can be signalled.
pub const INFO_EV_SIGNALED: u64 = 1;
/// `SDEI_EVENT_GET_INFO` query: priority (0 normal, 1 critical).
pub const INFO_EV_PRIORITY: u64 = 2;
/// `SDEI_EVENT_GET_INFO` query: routing mode (shared events only).
pub const INFO_EV_ROUTING_MODE: u64 = 3;
/// `SDEI_EVENT_GET_INFO` query: routing affinity (shared events only).
pub const INFO_EV_ROUTING_AFF: u64 = 4;

/// `SDEI_FEATURES` query: number of interrupt binding slots.
pub const FEATURE_BIND_SLOTS: u64 = 0;
