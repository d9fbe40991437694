//! Operations endpoints: liveness (`/healthz`), readiness (`/readyz`) and
//! Prometheus metrics (`/metrics`), with the middleware that counts requests.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{AppState, Problem};

/// The edge's metrics and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    log_entries: Family<CommunityLabels, Gauge>,
    log_bytes: Family<CommunityLabels, Gauge>,
    sync_peers: Gauge,
    sync_lag: Family<CommunityLabels, Gauge>,
    sync_outbox: Family<CommunityLabels, Gauge>,
    sync_events: Family<SyncLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLabels {
    event: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommunityLabels {
    community: String,
}

/// The content type of the OpenMetrics text format Prometheus scrapes.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Metrics {
    /// Fresh, zeroed metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        let log_entries = Family::<CommunityLabels, Gauge>::default();
        let log_bytes = Family::<CommunityLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            durations.clone(),
        );
        registry.register(
            "commons_log_entries",
            "Entries in a community log",
            log_entries.clone(),
        );
        registry.register(
            "commons_log_bytes",
            "Bytes of records in a community log",
            log_bytes.clone(),
        );
        let sync_peers = Gauge::default();
        let sync_lag = Family::<CommunityLabels, Gauge>::default();
        let sync_events = Family::<SyncLabels, Counter>::default();
        registry.register(
            "commons_sync_peers",
            "Connected p2p peers",
            sync_peers.clone(),
        );
        registry.register(
            "commons_sync_lag",
            "Entries a replicated log lacks behind the longest a peer reported",
            sync_lag.clone(),
        );
        let sync_outbox = Family::<CommunityLabels, Gauge>::default();
        registry.register(
            "commons_sync_outbox",
            "Writes made here waiting for the community's home node",
            sync_outbox.clone(),
        );
        registry.register(
            "commons_sync",
            "p2p sync events: entries applied, gossip received, invalid data, penalized peers, ranges",
            sync_events.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            log_entries,
            log_bytes,
            sync_peers,
            sync_lag,
            sync_outbox,
            sync_events,
        }
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16().to_string(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Middleware counting every request by method, matched route and status.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    // The matched route, not the path, keeps the label set small.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, Problem> {
    match state.node.ready().await {
        Ok(()) => Ok("ready"),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Not ready",
                "the store does not answer",
            ))
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Result<Response, Problem> {
    // Log sizes are read at scrape time, so they are never stale.
    for (community, entries, bytes) in state.node.log_sizes().await? {
        let labels = CommunityLabels {
            community: community.to_hex(),
        };
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        state
            .metrics
            .log_entries
            .get_or_create(&labels)
            .set(clamp(entries));
        state
            .metrics
            .log_bytes
            .get_or_create(&labels)
            .set(clamp(bytes));
    }
    if let Some(network) = state.node.network_status() {
        let metrics = &state.metrics;
        metrics
            .sync_peers
            .set(i64::try_from(network.peers.len()).unwrap_or(i64::MAX));
        // The sync layer keeps running totals; the counters catch up to them.
        for (event, total) in &network.counters {
            let counter = metrics.sync_events.get_or_create(&SyncLabels {
                event: event.clone(),
            });
            let seen = counter.get();
            if *total > seen {
                counter.inc_by(total - seen);
            }
        }
        for row in state.node.sync_status().await? {
            metrics
                .sync_lag
                .get_or_create(&CommunityLabels {
                    community: row.community.to_hex(),
                })
                .set(i64::try_from(row.lag).unwrap_or(i64::MAX));
            metrics
                .sync_outbox
                .get_or_create(&CommunityLabels {
                    community: row.community.to_hex(),
                })
                .set(i64::try_from(row.outbox).unwrap_or(i64::MAX));
        }
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry).map_err(
        |error| {
            tracing::error!(%error, "cannot encode metrics");
            Problem::internal()
        },
    )?;
    Ok(([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response())
}
