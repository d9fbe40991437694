//! TAXII 2.1 with the real client: `tests/taxii/interop.py bench` adds
//! objects in envelopes of 1,000 through `taxii2-client` and pages through
//! them with limit=1000, against the release `commons serve` and, for the
//! side-by-side ratio, against medallion (PyPI, memory backend) at 10,000
//! objects.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::report;

/// Objects for the main run; `COMMONS_BENCH_TAXII_OBJECTS` overrides.
const OBJECTS: usize = 100_000;

/// Objects for the side-by-side run with medallion;
/// `COMMONS_BENCH_TAXII_SIDE` overrides, 0 skips it (medallion pages 10,000
/// objects at under 10 objects/s, so the full run takes about twenty minutes).
const SIDE_BY_SIDE: usize = 10_000;

struct Server {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/taxii/interop.py")
}

/// A virtual environment beside this binary with the clients and medallion.
fn python() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let venv = exe.with_file_name("taxii-bench-venv");
    let marker = venv.join("installed");
    if !marker.exists() {
        crate_run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        crate_run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "taxii2-client",
            "stix2",
            "medallion",
        ]))?;
        std::fs::write(&marker, "taxii2-client stix2 medallion\n")?;
    }
    Ok(venv.join("bin/python"))
}

fn crate_run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn commons(bin: &Path) -> anyhow::Result<(Server, String, String)> {
    let dir = tempfile::tempdir()?;
    let output = Command::new(bin)
        .args(["token", "create", "--user", "admin", "--data-dir"])
        .arg(dir.path())
        .env("COMMONS_LOG", "warn")
        .output()
        .context("creating a token")?;
    let token = String::from_utf8(output.stdout)?.trim().to_owned();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("COMMONS_LOG", "warn")
        .env("COMMONS_RATE_LIMIT_PER_SECOND", "1000000")
        .env("COMMONS_RATE_LIMIT_BURST", "1000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting commons serve")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().context("the node exited before listening")??;
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((
        Server { child, _dir: dir },
        format!("{address}/taxii2/"),
        token,
    ))
}

fn medallion(python: &Path) -> anyhow::Result<(Server, String)> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let root = format!("http://127.0.0.1:{port}/api1/");
    let data = json!({
        "/discovery": {
            "title": "medallion", "default": root, "api_roots": [root]
        },
        "api1": {
            "information": {
                "title": "bench", "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 104857600
            },
            "status": [],
            "collections": [{
                "id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "security",
                "can_read": true, "can_write": true,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": [], "manifest": []
            }]
        }
    });
    let data_path = dir.path().join("data.json");
    std::fs::write(&data_path, data.to_string())?;
    let config = json!({
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": data_path,
        },
        "users": { "bench": "bench" },
        "taxii": { "max_page_size": 1000 }
    });
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, config.to_string())?;
    let medallion = python.with_file_name("medallion");
    let child = Command::new(medallion)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--log-level",
            "ERROR",
        ])
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting medallion")?;
    // Wait until it answers.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((
                Server { child, _dir: dir },
                format!("http://127.0.0.1:{port}/taxii2/"),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("medallion did not start")
}

fn bench(
    python: &Path,
    url: &str,
    user: &str,
    password: &str,
    objects: usize,
) -> anyhow::Result<Value> {
    let output = Command::new(python)
        .arg(script())
        .args([
            "bench",
            url,
            user,
            password,
            "security",
            &objects.to_string(),
        ])
        .output()
        .context("running interop.py bench")?;
    if !output.status.success() {
        bail!(
            "interop.py bench failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("no figures printed")?;
    Ok(serde_json::from_str(line)?)
}

fn figure(value: &Value, name: &str) -> f64 {
    value[name].as_f64().unwrap_or(0.0)
}

/// Runs the TAXII benchmarks and prints each figure beside its target.
pub async fn run() -> anyhow::Result<()> {
    let python = python()?;
    let bin = crate::http::commons_bin()?;
    let objects = std::env::var("COMMONS_BENCH_TAXII_OBJECTS")
        .ok()
        .and_then(|it| it.parse().ok())
        .unwrap_or(OBJECTS);

    let (server, url, token) = commons(&bin)?;
    let big = bench(&python, &url, "admin", &token, objects)?;
    drop(server);
    println!("TAXII with taxii2-client, {objects} objects: {big}");
    report(
        "taxii add (envelopes of 1000)",
        figure(&big, "add_objects_per_s"),
        "objects/s",
        20_000.0,
        true,
    );
    report(
        "taxii paging (limit=1000)",
        figure(&big, "page_objects_per_s"),
        "objects/s",
        50_000.0,
        true,
    );
    report(
        "taxii first page",
        figure(&big, "first_page_ms"),
        "ms",
        50.0,
        false,
    );

    let side = std::env::var("COMMONS_BENCH_TAXII_SIDE")
        .ok()
        .and_then(|it| it.parse().ok())
        .unwrap_or(SIDE_BY_SIDE);
    if side == 0 {
        println!("side by side with medallion skipped (COMMONS_BENCH_TAXII_SIDE=0)");
        return Ok(());
    }
    let (server, url, token) = commons(&bin)?;
    let ours = bench(&python, &url, "admin", &token, side)?;
    drop(server);
    let (server, url) = medallion(&python)?;
    let theirs = bench(&python, &url, "bench", "bench", side)?;
    drop(server);
    println!("side by side at {side}: commons {ours}, medallion {theirs}");
    for name in ["add_objects_per_s", "page_objects_per_s"] {
        let ratio = figure(&ours, name) / figure(&theirs, name).max(f64::MIN_POSITIVE);
        println!(
            "{:<44} commons/medallion ratio {ratio:>10.1}",
            format!("taxii {name}")
        );
    }
    Ok(())
}
