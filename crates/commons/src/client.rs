//! Where a CLI command runs: through the running node's control socket, or,
//! when no node runs on the data directory, on the store opened directly.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use commons_node::control::Command;
use commons_node::{Node, NodeConfig};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;

use crate::config::Config;

/// The node a command talks to.
pub enum Target {
    /// A running node, through its control socket.
    Socket(PathBuf),
    /// The data directory opened by this process.
    Direct(Node),
}

impl Target {
    /// Connects to the running node, or opens the data directory.
    pub async fn connect(config: &Config) -> anyhow::Result<Target> {
        let socket = config.socket_path();
        if UnixStream::connect(&socket).await.is_ok() {
            return Ok(Target::Socket(socket));
        }
        let (node, first) = Node::open(&node_config(config), commons_node::registry())
            .await
            .with_context(|| format!("cannot open the node in {}", config.data_dir.display()))?;
        if let Some(first) = first {
            eprintln!("initialized a new node in {}", config.data_dir.display());
            eprintln!("admin setup link (shown once): {}", first.admin_setup_url);
        }
        register_scan_roots(&node, config).await?;
        Ok(Target::Direct(node))
    }

    /// Runs a command and returns its JSON reply.
    pub async fn run(&self, command: Command) -> anyhow::Result<Value> {
        match self {
            Target::Direct(node) => node.execute(command).await.map_err(|e| anyhow!(e)),
            Target::Socket(path) => call_socket(path, &command).await,
        }
    }

    /// Closes the store if this process opened it.
    pub async fn close(self) {
        if let Target::Direct(node) = self {
            node.close().await;
        }
    }
}

/// Registers the configured `scan_roots` with the node, so security alerts
/// re-scan them whoever opens the data directory.
pub async fn register_scan_roots(node: &Node, config: &Config) -> anyhow::Result<()> {
    for root in &config.scan_roots {
        node.watch_scan_root(root)
            .await
            .with_context(|| format!("scan_roots: cannot watch {}", root.display()))?;
    }
    Ok(())
}

/// The node settings a config implies.
pub fn node_config(config: &Config) -> NodeConfig {
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    NodeConfig {
        data_dir: config.data_dir.clone(),
        database_url: config.database_url.clone(),
        max_connections: config.max_connections,
        default_communities: config.default_communities,
        public_url,
    }
}

async fn call_socket(path: &PathBuf, command: &Command) -> anyhow::Result<Value> {
    let stream = UnixStream::connect(path)
        .await
        .with_context(|| format!("cannot reach the running node at {}", path.display()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("control socket handshake failed")?;
    tokio::spawn(connection);
    let body = serde_json::to_vec(command).context("encoding the command")?;
    let request = hyper::Request::post("/control")
        .header("content-type", "application/json")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(body)))
        .context("building the control request")?;
    let response = sender
        .send_request(request)
        .await
        .context("the running node did not answer")?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .context("reading the node's answer")?
        .to_bytes();
    let value: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("the node answered {status} with a body that is not JSON"))?;
    if status.is_success() {
        return Ok(value);
    }
    let detail = value["detail"]
        .as_str()
        .unwrap_or("the node refused the command");
    Err(anyhow!("{detail}"))
}
