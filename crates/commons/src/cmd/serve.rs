//! `commons serve`: opens the node, prints first-start secrets once, and
//! serves HTTP and the control socket until SIGTERM or Ctrl-C.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use commons_node::Node;
use commons_web::{AppState, RateLimitConfig, WebConfig};
use tokio::sync::watch;

use crate::client::node_config;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// HTTP listen address [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Use PostgreSQL at this URL instead of the embedded SQLite
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Do not create the domain communities on first start
    #[arg(long)]
    pub no_default_communities: bool,
    /// p2p listen address, e.g. /ip4/0.0.0.0/udp/4001/quic-v1 (repeatable)
    #[arg(long, value_name = "MULTIADDR")]
    pub p2p_listen: Vec<String>,
    /// p2p peer to dial, e.g. /ip4/10.0.0.2/tcp/4001/p2p/12D3… (repeatable; adds to `peers` in the config file)
    #[arg(long = "peer", value_name = "MULTIADDR")]
    pub peers: Vec<String>,
    /// Announce and discover peers on the local network (mDNS)
    #[arg(long)]
    pub mdns: bool,
}

pub async fn run(args: ServeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    init_tracing(&config.log_format);
    let started = Instant::now();
    let socket_path = config.socket_path();
    if tokio::net::UnixStream::connect(&socket_path).await.is_ok() {
        anyhow::bail!("a node is already running on {}", config.data_dir.display());
    }
    let (node, first) = Node::open(&node_config(config), commons_node::registry())
        .await
        .with_context(|| format!("cannot open the node in {}", config.data_dir.display()))?;
    crate::client::register_scan_roots(&node, config).await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is another server using it?",
                config.listen
            )
        })?;
    let address = listener.local_addr().context("reading the bound address")?;
    // A socket file left by a node that died is stale: nothing answered above.
    let _ = std::fs::remove_file(&socket_path);
    let control = tokio::net::UnixListener::bind(&socket_path)
        .with_context(|| format!("cannot create the control socket {}", socket_path.display()))?;
    restrict_to_owner(&socket_path)?;

    if let Some(first) = &first {
        println!("initialized a new node in {}", config.data_dir.display());
        println!("created communities: {}", first.communities.join(", "));
        println!("admin setup link (shown once): {}", first.admin_setup_url);
    }
    let sync = crate::p2p::start(&node, config, &args.peers).await?;
    println!("node {} ({:?} store)", node.node_key(), node.backend());
    println!("p2p peer id {}", sync.peer_id());
    for addr in sync.listen_addrs() {
        println!("p2p listening on {addr}");
    }
    // Last: scripts and tests read up to this line.
    println!("listening on http://{address}");
    tracing::info!(%address, elapsed_ms = started.elapsed().as_millis() as u64, "node started");

    let state = AppState::new(
        node.clone(),
        WebConfig {
            // Behind TLS the public URL says so; the flag covers proxies
            // that terminate TLS under another name.
            secure_cookies: config.secure_cookies
                || config
                    .public_url
                    .as_deref()
                    .is_some_and(|url| url.starts_with("https://")),
            open_registration: config.open_registration,
            rate_limits: RateLimitConfig {
                per_second: config.rate_limit_per_second,
                burst: config.rate_limit_burst,
                logins_per_minute: config.logins_per_minute,
            },
        },
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let http = tokio::spawn(commons_web::serve(
        listener,
        state.clone(),
        wait(stop_rx.clone()),
    ));
    let control = tokio::spawn(commons_web::serve_control(control, state, wait(stop_rx)));
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let (http, control, ()) = tokio::join!(http, control, sync.shutdown());
    http.context("the HTTP server panicked")?
        .context("the HTTP server failed")?;
    control
        .context("the control socket panicked")?
        .context("the control socket failed")?;
    node.close().await;
    let _ = std::fs::remove_file(&socket_path);
    Ok(ExitCode::SUCCESS)
}

async fn wait(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn restrict_to_owner(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    Ok(())
}

fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("COMMONS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
