//! The state every handler shares: handles, not data.

use commons_node::Node;

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (the node is served behind TLS).
    pub secure_cookies: bool,
    /// Let anyone register an account from the web UI.
    pub open_registration: bool,
}

/// Cloned into every handler.
#[derive(Clone)]
pub struct AppState {
    /// The node facade.
    pub node: Node,
    /// Edge settings.
    pub config: WebConfig,
}
