//! The TAXII server driven by Python's `taxii2-client` and `stix2` from
//! PyPI (tests/taxii/interop.py) against the built binary's `commons serve`.
//! The packages go into a virtual environment under the target directory;
//! only when PyPI cannot be reached is the test skipped, with a loud note.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Cli;

/// A virtual environment with the clients installed, or `None` (after a
/// note on stderr) when they cannot be installed.
fn python_with_clients() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("taxii-venv");
    let python = venv.join("bin/python");
    let marker = venv.join("installed");
    if marker.exists() {
        return Some(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|status| status.success());
    let installed = created
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "taxii2-client", "stix2"])
            .status()
            .is_ok_and(|status| status.success());
    if !installed {
        eprintln!(
            "\n*** NOTE: the TAXII interop test is SKIPPED: could not create a venv and \
             `pip install taxii2-client stix2` (is PyPI reachable?) ***\n"
        );
        return None;
    }
    std::fs::write(&marker, "taxii2-client stix2\n").expect("write venv marker");
    Some(python)
}

#[test]
fn taxii2_client_and_stix2_publish_page_filter_and_read_back() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let cli = Cli::new();
    let token = cli.ok(&["token", "create", "--user", "admin"], None);
    let token = token.trim().to_owned();
    let server = cli.serve();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/taxii/interop.py");
    let output = Command::new(python)
        .arg(script)
        .arg("interop")
        .arg(format!("{}/taxii2/", server.address))
        .arg("admin")
        .arg(&token)
        .arg("security")
        .output()
        .expect("run interop.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "interop.py failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("published, paged, filtered and read back"),
        "{stdout}"
    );
    // Basic authentication with the password works as well as the token.
    cli.ok(
        &["user", "add", "dora", "--password-stdin"],
        Some(super::PASSWORD),
    );
    cli.ok(&["community", "join", "security", "--user", "dora"], None);
    let output = Command::new(Path::new(env!("CARGO_TARGET_TMPDIR")).join("taxii-venv/bin/python"))
        .arg(script)
        .arg("interop")
        .arg(format!("{}/taxii2/", server.address))
        .arg("dora")
        .arg(super::PASSWORD)
        .arg("security")
        .output()
        .expect("run interop.py");
    assert!(
        output.status.success(),
        "interop.py with a password failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.stop();
}
