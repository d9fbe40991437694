//! Configuration: defaults < TOML file < `COMMONS_*` environment < flags,
//! loaded once in `main` and passed down.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything a node reads at start.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the node keeps its key, database and control socket.
    pub data_dir: PathBuf,
    /// HTTP listen address.
    pub listen: String,
    /// `postgres://…` to use PostgreSQL; unset for the embedded SQLite.
    pub database_url: Option<String>,
    /// The URL users reach the node at (for links the node prints).
    pub public_url: Option<String>,
    /// Set cookies `Secure` (serve behind TLS); implied by an `https://`
    /// `public_url`.
    pub secure_cookies: bool,
    /// Let anyone register from the web UI.
    pub open_registration: bool,
    /// Create the domain communities on first start.
    pub default_communities: bool,
    /// Database pool size.
    pub max_connections: u32,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Sustained requests per second allowed per client address and per user.
    pub rate_limit_per_second: u32,
    /// Burst above the sustained rate.
    pub rate_limit_burst: u32,
    /// Login attempts per minute per address and account name.
    pub logins_per_minute: u32,
    /// p2p listen multiaddresses, e.g. `/ip4/0.0.0.0/udp/4001/quic-v1`.
    pub p2p_listen: Vec<String>,
    /// p2p peers to dial at start (multiaddresses ending in `/p2p/<peer id>`).
    pub peers: Vec<String>,
    /// Announce and discover peers on the local network with mDNS.
    pub mdns: bool,
    /// Directories re-scanned when a security pattern is accepted
    /// (registered with the node at start, like `commons scan --watch`).
    pub scan_roots: Vec<PathBuf>,
    /// Communities (as named to `commons scan --community`) to which scans
    /// report how many times each pattern matched: counts only, opt-in.
    pub report_match_counts: Vec<String>,
}

/// Settings given as flags; unset ones leave lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_communities: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p2p_listen: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdns: Option<bool>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./commons-data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            public_url: None,
            secure_cookies: false,
            open_registration: true,
            default_communities: true,
            max_connections: 8,
            log_format: "text".into(),
            rate_limit_per_second: 20,
            rate_limit_burst: 100,
            logins_per_minute: 5,
            p2p_listen: Vec::new(),
            peers: Vec::new(),
            mdns: false,
            scan_roots: Vec::new(),
            report_match_counts: Vec::new(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("public_url", &self.public_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("open_registration", &self.open_registration)
            .field("default_communities", &self.default_communities)
            .field("max_connections", &self.max_connections)
            .field("log_format", &self.log_format)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("logins_per_minute", &self.logins_per_minute)
            .field("p2p_listen", &self.p2p_listen)
            .field("peers", &self.peers)
            .field("mdns", &self.mdns)
            .field("scan_roots", &self.scan_roots)
            .field("report_match_counts", &self.report_match_counts)
            .finish()
    }
}

impl Config {
    /// Loads the layers. The file is `--config FILE`, else `commons.toml` in
    /// the data directory when it exists.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> anyhow::Result<Config> {
        let defaults = Figment::from(Serialized::defaults(Config::default()));
        // The data directory decides where the default file is, so resolve it
        // from the layers above the file first.
        let early: Config = defaults
            .clone()
            .merge(Env::prefixed("COMMONS_").split("__"))
            .merge(Serialized::defaults(&flags))
            .extract()
            .context("invalid configuration in COMMONS_* environment or flags")?;
        let file = match file {
            Some(path) => {
                if !path.exists() {
                    anyhow::bail!("config file {} does not exist", path.display());
                }
                Some(path.to_owned())
            }
            None => Some(early.data_dir.join("commons.toml")).filter(|path| path.exists()),
        };
        let mut figment = defaults;
        if let Some(file) = &file {
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            .merge(Env::prefixed("COMMONS_").split("__"))
            .merge(Serialized::defaults(&flags))
            .extract()
            .with_context(|| match &file {
                Some(file) => format!("invalid configuration (file {})", file.display()),
                None => "invalid configuration".to_owned(),
            })?;
        Ok(config)
    }

    /// The control socket's path.
    pub fn socket_path(&self) -> PathBuf {
        self.data_dir.join("commons.sock")
    }
}
