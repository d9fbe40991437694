//! Starts the node's p2p layer from the configuration, through the
//! `Replica` adapter of `commons-replica`.

use anyhow::Context;
use commons_node::Node;
use commons_replica::NodeReplica;
use commons_sync::{SyncConfig, SyncHandle};

use crate::config::Config;

/// Starts the node's p2p layer on the configured addresses.
pub async fn start(
    node: &Node,
    config: &Config,
    extra_peers: &[String],
) -> anyhow::Result<SyncHandle> {
    let parse = |what: &str, text: &String| -> anyhow::Result<commons_sync::Multiaddr> {
        text.parse()
            .with_context(|| format!("invalid {what} address {text:?}; expected a multiaddress such as /ip4/0.0.0.0/udp/4001/quic-v1"))
    };
    let listen = config
        .p2p_listen
        .iter()
        .map(|text| parse("--p2p-listen", text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let peers = config
        .peers
        .iter()
        .chain(extra_peers)
        .map(|text| parse("--peer", text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sync_config = SyncConfig {
        listen,
        peers,
        mdns: config.mdns,
        ..SyncConfig::default()
    };
    let handle = commons_sync::start(
        sync_config,
        node.network_secret(),
        NodeReplica(node.clone()),
    )
    .await
    .context("cannot start the p2p node")?;
    let fetch = handle.blob_fetcher();
    node.set_blob_fetcher(std::sync::Arc::new(move |community, id| {
        fetch(community, id)
    }));
    Ok(handle)
}
