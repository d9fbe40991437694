//! Rate limits: per client address and per user for every API call, and a
//! much stricter one for login attempts per address and account name. Over
//! the limit the answer is a 429 problem with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use crate::state::RateLimitConfig;
use crate::{AppState, Problem};

/// The limiters of one application.
pub struct RateLimits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_user: DefaultKeyedRateLimiter<i64>,
    logins: DefaultKeyedRateLimiter<(IpAddr, String)>,
    checks: AtomicU64,
}

/// The client's address as an extractor; see [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// How often the limiters forget idle keys, in checks.
const RETAIN_EVERY: u64 = 4096;

impl RateLimits {
    /// Limiters for `config`; zero rates are raised to one.
    pub fn new(config: &RateLimitConfig) -> RateLimits {
        let nonzero = |n: u32| NonZeroU32::new(n.max(1)).expect("raised to at least one");
        let api = Quota::per_second(nonzero(config.per_second)).allow_burst(nonzero(config.burst));
        let logins = Quota::per_minute(nonzero(config.logins_per_minute));
        RateLimits {
            by_address: RateLimiter::keyed(api),
            by_user: RateLimiter::keyed(api),
            logins: RateLimiter::keyed(logins),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a request from `address`.
    pub fn check_address(&self, address: IpAddr) -> Result<(), Problem> {
        self.housekeeping();
        check(&self.by_address, &address)
    }

    /// Counts a request by the user with row id `user_id`.
    pub fn check_user(&self, user_id: i64) -> Result<(), Problem> {
        check(&self.by_user, &user_id)
    }

    /// Counts a login attempt for `name` from `address`.
    pub fn check_login(&self, address: IpAddr, name: &str) -> Result<(), Problem> {
        check(&self.logins, &(address, name.to_owned()))
    }

    fn housekeeping(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.by_address.retain_recent();
            self.by_user.retain_recent();
            self.logins.retain_recent();
        }
    }
}

/// The client's address, or the unspecified address when the server was not
/// started with connection info (as in router tests).
pub fn client_address(request_extensions: &axum::http::Extensions) -> IpAddr {
    request_extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(&parts.extensions)))
    }
}

/// Middleware limiting API requests per client address.
pub async fn limit_by_address(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/api/") {
        let address = client_address(request.extensions());
        if let Err(problem) = state.limits.check_address(address) {
            return problem.into_response();
        }
    }
    next.run(request).await
}

fn check<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), Problem>
where
    K: std::hash::Hash + Eq + Clone,
{
    match limiter.check_key(key) {
        Ok(()) => Ok(()),
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock().now());
            // Round up so a client that waits exactly this long succeeds.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Err(Problem {
                extra: Some(json!({ "retry_after": seconds.max(1) })),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!("slow down; try again in {} s", seconds.max(1)),
                )
            })
        }
    }
}
