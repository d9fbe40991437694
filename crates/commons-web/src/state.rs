//! The state every handler shares: handles, not data.

use std::sync::Arc;

use commons_node::Node;

use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use crate::ui::cache::PageCache;

/// Settings of the HTTP edge. The default: plain cookies, closed
/// registration, [`RateLimitConfig::default`].
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (the node is served behind TLS).
    pub secure_cookies: bool,
    /// Let anyone register an account from the web UI.
    pub open_registration: bool,
    /// Request rates allowed before answering 429.
    pub rate_limits: RateLimitConfig,
}

/// Request rates, per client address and per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Sustained API requests per second, per client address and per user.
    pub per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub burst: u32,
    /// Login attempts per minute for one address and account name.
    pub logins_per_minute: u32,
}

/// Cloned into every handler.
#[derive(Clone)]
pub struct AppState {
    /// The node facade.
    pub node: Node,
    /// Edge settings.
    pub config: WebConfig,
    /// Request counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Rate limiters, keyed by address, user, or address and login name.
    pub limits: Arc<RateLimits>,
    /// Rendered pages for visitors who are not logged in.
    pub pages: Arc<PageCache>,
}

impl Default for RateLimitConfig {
    fn default() -> RateLimitConfig {
        RateLimitConfig {
            per_second: 20,
            burst: 100,
            logins_per_minute: 5,
        }
    }
}

impl AppState {
    /// State for a node; metrics and rate limiters start empty.
    pub fn new(node: Node, config: WebConfig) -> AppState {
        let limits = Arc::new(RateLimits::new(&config.rate_limits));
        AppState {
            node,
            config,
            metrics: Arc::new(Metrics::new()),
            limits,
            pages: Arc::default(),
        }
    }
}
