//! What every handler shares: the provider and the prepared discovery document.

use sesame_core::Provider;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub provider: Arc<Provider>,
    /// Discovery metadata, serialised once: it changes only with the configuration.
    pub discovery: Arc<str>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Token responses this node issued, per hour of the last day (the console's dashboard).
    pub issued: Arc<crate::hourly::HourlyCount>,
    /// The WebAuthn relying party, when the issuer's host is a domain (an IP address has no
    /// RP id, and then the pages offer no passkeys).
    pub passkeys: Option<Arc<crate::passkeys::Passkeys>>,
    /// Upstream identity providers over HTTP (timeouts set, no redirects followed).
    pub upstream: Arc<dyn sesame_core::federation::upstream::Upstream>,
    pub limits: crate::limits::Limits,
    /// The browser cookies' names and attributes for this issuer.
    pub cookies: crate::ui::cookies::CookiePolicy,
    /// Proxies whose forwarding headers name the client address.
    pub trusted_proxies: crate::trusted_proxies::TrustedProxies,
}
