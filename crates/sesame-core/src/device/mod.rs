//! The device authorization grant (RFC 8628): a device without a browser shows a short code, the
//! user approves it on another device at `/device`, and the device polls `/token` meanwhile.

pub mod authorization;
pub mod user_code;
pub mod verification;

use crate::delegation::Delegation;
use crate::scope::Scopes;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};

/// How long the user has to approve, in seconds (RFC 8628 §3.2 `expires_in`).
pub const DEVICE_CODE_TTL: i64 = 600;
/// The polling interval first given to the device, in seconds (RFC 8628 §3.2 `interval`).
pub const POLL_INTERVAL: i64 = 5;
/// RFC 8628 §3.5: each `slow_down` adds 5 seconds.
pub const SLOW_DOWN_STEP: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied, Self::Redeemed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// A device authorization as stored: the device code only as its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCode {
    pub device_code_hash: SecretHash,
    /// Normalised (8 letters, no dash).
    pub user_code: String,
    pub client_id: String,
    pub scope: Scopes,
    pub status: DeviceStatus,
    /// Set when the user approves.
    pub delegation: Option<Delegation>,
    pub interval: i64,
    pub last_polled_at: Option<i64>,
    pub expires_at: i64,
}
