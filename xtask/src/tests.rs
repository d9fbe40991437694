//! Tidy's checks against small fixture repositories written to temp dirs.

use crate::tidy;

const WORKSPACE: &str = r#"
[workspace]
members = ["crates/*", "xtask"]
[workspace.package]
version = "0.0.0"
publish = false
[workspace.dependencies]
db = { package = "sqlx", version = "0.8" }
"#;

const XTASK: &str = r#"
[package]
name = "xtask"
version.workspace = true
publish.workspace = true
"#;

/// A manifest for crate `name` with the given extra TOML after `[package]`.
fn manifest(name: &str, rest: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion.workspace = true\npublish.workspace = true\n{rest}"
    )
}

/// Writes `files` (path, contents) beside a minimal workspace and checks that
/// tidy reports exactly `expect`.
#[track_caller]
fn check(files: &[(&str, &str)], expect: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = vec![
        ("Cargo.toml".to_string(), WORKSPACE.to_string()),
        ("xtask/Cargo.toml".to_string(), XTASK.to_string()),
        (
            "xtask/src/main.rs".to_string(),
            "//! Automation.\n".to_string(),
        ),
    ];
    all.extend(
        files
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string())),
    );
    for (path, text) in &all {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("fixture paths have a parent"))
            .expect("create fixture dir");
        std::fs::write(&path, text).expect("write fixture");
    }
    let problems = tidy::problems(dir.path()).expect("tidy runs");
    assert_eq!(problems, expect);
}

#[test]
fn clean_repository_has_no_problems() {
    check(
        &[
            (
                "crates/commons-kernel/Cargo.toml",
                &manifest("commons-kernel", "[dependencies]\nblake3 = \"1\"\n"),
            ),
            (
                "crates/commons-kernel/src/lib.rs",
                "//! The kernel.\n\nmod keys;\n",
            ),
            ("crates/commons-kernel/src/keys.rs", "//! Keys.\n"),
            (
                "crates/commons-kernel/tests/it/main.rs",
                "//! Integration tests.\n",
            ),
        ],
        &[],
    );
}

#[test]
fn module_without_doc_line() {
    check(
        &[
            (
                "crates/commons-kernel/Cargo.toml",
                &manifest("commons-kernel", ""),
            ),
            ("crates/commons-kernel/src/lib.rs", "// The kernel.\n"),
            (
                "crates/commons-kernel/benches/sign.rs",
                "\n//! Blank line first.\n",
            ),
            (
                "crates/commons-kernel/target/debug/build/out.rs",
                "generated, not checked\n",
            ),
            ("xtask/src/extra.rs", "fn main() {}\n"),
        ],
        &[
            "crates/commons-kernel/benches/sign.rs: does not open with a `//!` line saying what the module owns",
            "crates/commons-kernel/src/lib.rs: does not open with a `//!` line saying what the module owns",
            "xtask/src/extra.rs: does not open with a `//!` line saying what the module owns",
        ],
    );
}

#[test]
fn placeholders() {
    let source = [
        "//! The kernel.",
        concat!("fn a() { to", "do!() }"),
        concat!("fn b() { unimplemented", "!(\"later\") }"),
        concat!("// FIX", "ME: later"),
        concat!("// XX", "X"),
        "// XXXL and FIXMES are words of their own",
    ]
    .join("\n");
    check(
        &[
            (
                "crates/commons-kernel/Cargo.toml",
                &manifest("commons-kernel", ""),
            ),
            ("crates/commons-kernel/src/lib.rs", &source),
            (
                "crates/commons-kernel/assets/app.js",
                concat!("// FIX", "ME\n"),
            ),
        ],
        &[
            concat!(
                "crates/commons-kernel/assets/app.js:1: placeholder `FIX",
                "ME`: finish the work or track it in an issue"
            ),
            concat!(
                "crates/commons-kernel/src/lib.rs:2: placeholder `to",
                "do!(`: finish the work or track it in an issue"
            ),
            concat!(
                "crates/commons-kernel/src/lib.rs:3: placeholder `unimplemented",
                "!(`: finish the work or track it in an issue"
            ),
            concat!(
                "crates/commons-kernel/src/lib.rs:4: placeholder `FIX",
                "ME`: finish the work or track it in an issue"
            ),
            concat!(
                "crates/commons-kernel/src/lib.rs:5: placeholder `XX",
                "X`: finish the work or track it in an issue"
            ),
        ],
    );
}

#[test]
fn forbidden_edges() {
    let kernel = manifest(
        "commons-kernel",
        "[dependencies]\ntokio = \"1\"\n[dev-dependencies]\nsqlx = \"0.8\"\n[target.'cfg(unix)'.dependencies]\nlibp2p-tcp = \"0.4\"\n",
    );
    check(
        &[
            ("crates/commons-kernel/Cargo.toml", &kernel),
            (
                "crates/commons-i18n/Cargo.toml",
                &manifest(
                    "commons-i18n",
                    "[dependencies]\ncommons-kernel.workspace = true\n",
                ),
            ),
            (
                "crates/commons-web/Cargo.toml",
                &manifest(
                    "commons-web",
                    "[dependencies]\ncommons-store.workspace = true\n",
                ),
            ),
            (
                "crates/commons-store/Cargo.toml",
                &manifest("commons-store", "[dependencies]\ndb.workspace = true\n"),
            ),
            (
                "crates/commons-node/Cargo.toml",
                &manifest("commons-node", "[dependencies]\ndb.workspace = true\n"),
            ),
            (
                "crates/commons-sync/Cargo.toml",
                &manifest(
                    "commons-sync",
                    "[dependencies]\ncommons-kernel.workspace = true\ncommons-node.workspace = true\n",
                ),
            ),
            (
                "crates/commons-forum/Cargo.toml",
                &manifest(
                    "commons-forum",
                    "[dependencies]\ncommons-docs.workspace = true\n",
                ),
            ),
            (
                "crates/commons-docs/Cargo.toml",
                &manifest(
                    "commons-docs",
                    "[dependencies]\ncommons-web.workspace = true\n",
                ),
            ),
            (
                "crates/commons-reputation/Cargo.toml",
                &manifest(
                    "commons-reputation",
                    "[dependencies]\ncommons-forum.workspace = true\ncommons-matching.workspace = true\n",
                ),
            ),
            (
                "crates/commons-matching/Cargo.toml",
                &manifest("commons-matching", ""),
            ),
        ],
        &[
            "crates/commons-docs/Cargo.toml: commons-docs must not depend on commons-web: capabilities sit below the node and know no protocol",
            "crates/commons-forum/Cargo.toml: commons-forum must not depend on commons-docs: capabilities do not depend on each other (see ALLOWED_EDGES)",
            "crates/commons-i18n/Cargo.toml: commons-i18n must not depend on commons-kernel: engines take bytes and values and depend on nothing in the workspace",
            "crates/commons-kernel/Cargo.toml: commons-kernel must not depend on libp2p-tcp: the kernel is sans-IO",
            "crates/commons-kernel/Cargo.toml: commons-kernel must not depend on tokio: the kernel is sans-IO",
            "crates/commons-kernel/Cargo.toml: commons-kernel must not depend on libp2p-tcp: libp2p sits behind commons-sync",
            "crates/commons-node/Cargo.toml: commons-node must not depend on sqlx: SQL lives in the store and beside the capability owning each table",
            "crates/commons-reputation/Cargo.toml: commons-reputation must not depend on commons-matching: capabilities do not depend on each other (see ALLOWED_EDGES)",
            "crates/commons-sync/Cargo.toml: commons-sync must not depend on commons-node: sync exchanges kernel types over channels and knows no SQL or capability",
            "crates/commons-web/Cargo.toml: commons-web must not depend on commons-store: the web talks to the node, never to the store",
        ],
    );
}

#[test]
fn package_metadata() {
    let versioned = "[package]\nname = \"commons-kernel\"\nversion = \"0.1.0\"\npublish = true\n";
    check(
        &[
            ("crates/commons-kernel/Cargo.toml", versioned),
            ("crates/kernel/Cargo.toml", &manifest("commons-store", "")),
            ("crates/empty/README.md", "no manifest here"),
        ],
        &[
            "crates/empty: a directory under crates/ without a Cargo.toml",
            "crates/kernel/Cargo.toml: package `commons-store` lives in kernel/; name the folder after the crate",
            "crates/commons-kernel/Cargo.toml: set `version.workspace = true`",
            "crates/commons-kernel/Cargo.toml: set `publish.workspace = true`",
        ],
    );
}

#[test]
fn crate_families() {
    assert!(tidy::matches("libp2p*", "libp2p"));
    assert!(tidy::matches("libp2p*", "libp2p-gossipsub"));
    assert!(!tidy::matches("libp2p*", "libp2pish"));
    assert!(tidy::matches("commons-store", "commons-store"));
    assert!(!tidy::matches("commons-store", "commons-store-pg"));
}

#[test]
fn placeholder_words_stand_alone() {
    let word = concat!("FIX", "ME");
    assert!(tidy::contains_word(&format!("// {word}: soon"), word));
    assert!(tidy::contains_word(word, word));
    assert!(!tidy::contains_word(&format!("{word}S"), word));
    assert!(!tidy::contains_word(&format!("NO_{word}"), word));
}
