//! Browser sessions: single sign-on across clients and nodes. The cookie holds a random id; the
//! store keeps only its SHA-256, so a database leak does not hand out sessions.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserSession {
    /// The public session id put in ID tokens (`sid`); not the cookie value.
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}
