//! `cargo xtask tidy`: repository rules a compiler cannot check. Every module
//! opens with a `//!` line, no placeholder lands in crates/, every crate has
//! workspace metadata, and the dependency graph keeps the shape
//! ARCHITECTURE.md describes.
//!
//! All problems are collected and reported together, so one run shows
//! everything to fix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

// The dependency rules, as data. A crate is named by its package name;
// `name*` stands for the crate `name` and every `name-…` crate of its family
// (`libp2p*` covers `libp2p-gossipsub`). Only `[dependencies]` (including
// target-specific ones) count: dev-dependencies may reach anywhere.

/// Crates whose code is a pure function of data.
const ENGINES: &[&str] = &[
    "commons-fingerprint",
    "commons-stix",
    "commons-flows",
    "commons-sandbox",
    "commons-models",
    "commons-anonymize",
    "commons-markdown",
    "commons-i18n",
];

/// Crates that each own a slice of the product through record kinds.
const CAPABILITIES: &[&str] = &[
    "commons-patterns",
    "commons-intel",
    "commons-registry",
    "commons-forum",
    "commons-docs",
    "commons-reputation",
    "commons-exchange",
    "commons-governance",
    "commons-matching",
    "commons-research",
    "commons-analytics",
];

/// Libraries that do IO or bring a runtime.
const IO: &[&str] = &["tokio*", "sqlx*", "axum*", "libp2p*"];

/// The crates that may talk SQL.
const SQLX_USERS: &[&str] = &[
    "commons-store",
    "commons-test-support",
    "commons-patterns",
    "commons-intel",
    "commons-registry",
    "commons-forum",
    "commons-docs",
    "commons-reputation",
    "commons-exchange",
    "commons-governance",
    "commons-matching",
    "commons-research",
    "commons-analytics",
];

const RULES: &[Rule] = &[
    Rule {
        crates: Set::Just(&["commons-kernel"]),
        must_not_use: Set::Just(IO),
        why: "the kernel is sans-IO",
    },
    Rule {
        crates: Set::Just(ENGINES),
        must_not_use: Set::Just(IO),
        why: "engines are sans-IO",
    },
    Rule {
        crates: Set::Just(ENGINES),
        must_not_use: Set::WorkspaceExcept(&[]),
        why: "engines take bytes and values and depend on nothing in the workspace",
    },
    Rule {
        crates: Set::Just(CAPABILITIES),
        must_not_use: Set::Just(&["commons", "commons-node", "commons-web", "commons-sync"]),
        why: "capabilities sit below the node and know no protocol",
    },
    Rule {
        crates: Set::Just(CAPABILITIES),
        must_not_use: Set::Just(CAPABILITIES),
        why: "capabilities do not depend on each other (see ALLOWED_EDGES)",
    },
    Rule {
        crates: Set::Just(&["commons-node"]),
        must_not_use: Set::Just(&["axum*", "libp2p*"]),
        why: "the node is reached through channels and calls, not HTTP or the wire",
    },
    Rule {
        crates: Set::Just(&["commons-web"]),
        must_not_use: Set::Just(&["commons-store", "sqlx*"]),
        why: "the web talks to the node, never to the store",
    },
    Rule {
        crates: Set::Just(&["commons-sync"]),
        must_not_use: Set::WorkspaceExcept(&["commons-kernel"]),
        why: "sync exchanges kernel types over channels and knows no SQL or capability",
    },
    Rule {
        crates: Set::WorkspaceExcept(SQLX_USERS),
        must_not_use: Set::Just(&["sqlx*"]),
        why: "SQL lives in the store and beside the capability owning each table",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-sync"]),
        must_not_use: Set::Just(&["libp2p*"]),
        why: "libp2p sits behind commons-sync",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-web"]),
        must_not_use: Set::Just(&["axum*"]),
        why: "axum sits behind commons-web",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-sandbox"]),
        must_not_use: Set::Just(&["wasmtime*"]),
        why: "wasmtime sits behind commons-sandbox",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-fingerprint"]),
        must_not_use: Set::Just(&["tree-sitter*"]),
        why: "tree-sitter sits behind commons-fingerprint",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-search"]),
        must_not_use: Set::Just(&["tantivy*"]),
        why: "tantivy sits behind commons-search",
    },
    Rule {
        crates: Set::WorkspaceExcept(&["commons-bench"]),
        must_not_use: Set::Just(&["commons-test-support"]),
        why: "test support is a dev-dependency (only the dev-only bench crate uses it directly)",
    },
];

/// Edges the rules would forbid but the architecture allows by name:
/// reputation is derived from other capabilities' records.
const ALLOWED_EDGES: &[(&str, &str)] = &[
    ("commons-reputation", "commons-patterns"),
    ("commons-reputation", "commons-intel"),
    ("commons-reputation", "commons-registry"),
    ("commons-reputation", "commons-forum"),
    ("commons-reputation", "commons-docs"),
    ("commons-reputation", "commons-exchange"),
];

/// Where the module-doc rule applies.
const RUST_ROOTS: &[&str] = &["crates", "xtask"];

/// Source files searched for placeholders, by extension.
const PLACEHOLDER_EXTENSIONS: &[&str] = &["rs", "js", "mjs", "ts", "py"];

/// Directories never searched.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

struct Rule {
    crates: Set,
    must_not_use: Set,
    why: &'static str,
}

/// A set of crates.
enum Set {
    /// These crates (patterns, see the top of the file).
    Just(&'static [&'static str]),
    /// Every workspace member (crates/* and xtask) but these.
    WorkspaceExcept(&'static [&'static str]),
}

/// A crate's manifest, reduced to what the rules read.
struct Manifest {
    path: PathBuf,
    name: String,
    /// Package names of `[dependencies]`, renames resolved.
    deps: BTreeSet<String>,
    package: toml::Table,
}

/// `cargo xtask tidy`.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let problems = problems(root)?;
    if problems.is_empty() {
        eprintln!("tidy: no problems");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

/// Every problem in the repository at `root`, one line each.
pub(crate) fn problems(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for dir in RUST_ROOTS {
        for path in files(&root.join(dir), &["rs"])? {
            check_module_doc(root, &path, &mut problems)?;
        }
    }
    for path in files(&root.join("crates"), PLACEHOLDER_EXTENSIONS)? {
        check_placeholders(root, &path, &mut problems)?;
    }
    let workspace = read_toml(&root.join("Cargo.toml"))?;
    let manifests = read_manifests(root, &workspace, &mut problems)?;
    check_package_metadata(root, &workspace, &manifests, &mut problems);
    check_edges(root, &manifests, &mut problems);
    Ok(problems)
}

fn check_module_doc(root: &Path, path: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let text = read(path)?;
    if !text.starts_with("//!") {
        problems.push(format!(
            "{}: does not open with a `//!` line saying what the module owns",
            relative(root, path)
        ));
    }
    Ok(())
}

fn check_placeholders(root: &Path, path: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    // Spelled in pieces so that this file never matches its own search.
    let macros = [concat!("todo", "!("), concat!("unimplemented", "!(")];
    let words = [concat!("FIX", "ME"), concat!("XX", "X")];
    let text = read(path)?;
    for (line_idx, line) in text.lines().enumerate() {
        let found = macros
            .iter()
            .find(|it| line.contains(*it))
            .or_else(|| words.iter().find(|it| contains_word(line, it)));
        if let Some(placeholder) = found {
            problems.push(format!(
                "{}:{}: placeholder `{placeholder}`: finish the work or track it in an issue",
                relative(root, path),
                line_idx + 1
            ));
        }
    }
    Ok(())
}

fn check_package_metadata(
    root: &Path,
    workspace: &toml::Table,
    manifests: &[Manifest],
    problems: &mut Vec<String>,
) {
    let workspace_package = workspace
        .get("workspace")
        .and_then(|it| it.get("package"))
        .and_then(toml::Value::as_table);
    let inherited = |key: &str| workspace_package.and_then(|it| it.get(key));
    if inherited("version").and_then(toml::Value::as_str) != Some("0.0.0") {
        problems.push("Cargo.toml: [workspace.package] must set version = \"0.0.0\"".to_string());
    }
    if inherited("publish").and_then(toml::Value::as_bool) != Some(false) {
        problems.push("Cargo.toml: [workspace.package] must set publish = false".to_string());
    }
    let is_workspace =
        |value: &toml::Value| value.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    for manifest in manifests {
        let path = relative(root, &manifest.path);
        match manifest.package.get("version") {
            Some(value) if is_workspace(value) || value.as_str() == Some("0.0.0") => {}
            _ => problems.push(format!("{path}: set `version.workspace = true`")),
        }
        match manifest.package.get("publish") {
            Some(value) if is_workspace(value) || value.as_bool() == Some(false) => {}
            _ => problems.push(format!("{path}: set `publish.workspace = true`")),
        }
    }
}

fn check_edges(root: &Path, manifests: &[Manifest], problems: &mut Vec<String>) {
    let workspace_crates: BTreeSet<&str> = manifests.iter().map(|it| it.name.as_str()).collect();
    let contains = |set: &Set, name: &str| match set {
        Set::Just(patterns) => patterns.iter().any(|pattern| matches(pattern, name)),
        Set::WorkspaceExcept(excepted) => {
            workspace_crates.contains(name)
                && !excepted.iter().any(|pattern| matches(pattern, name))
        }
    };
    for manifest in manifests {
        for rule in RULES
            .iter()
            .filter(|rule| contains(&rule.crates, &manifest.name))
        {
            for dep in &manifest.deps {
                let allowed = ALLOWED_EDGES
                    .iter()
                    .any(|&(from, to)| from == manifest.name && to == dep);
                if contains(&rule.must_not_use, dep) && !allowed {
                    problems.push(format!(
                        "{}: {} must not depend on {dep}: {}",
                        relative(root, &manifest.path),
                        manifest.name,
                        rule.why
                    ));
                }
            }
        }
    }
}

/// Reads crates/*/Cargo.toml and xtask/Cargo.toml.
fn read_manifests(
    root: &Path,
    workspace: &toml::Table,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<Manifest>> {
    let crates_dir = root.join("crates");
    let mut crate_dirs: Vec<PathBuf> = std::fs::read_dir(&crates_dir)
        .with_context(|| format!("could not list {}", crates_dir.display()))?
        .map(|it| it.map(|it| it.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("could not list {}", crates_dir.display()))?;
    crate_dirs.retain(|dir| dir.is_dir());
    crate_dirs.sort();
    crate_dirs.push(root.join("xtask"));
    let workspace_deps = workspace
        .get("workspace")
        .and_then(|it| it.get("dependencies"))
        .and_then(toml::Value::as_table);
    let mut manifests = Vec::new();
    for dir in crate_dirs {
        let path = dir.join("Cargo.toml");
        if !path.is_file() {
            problems.push(format!(
                "{}: a directory under crates/ without a Cargo.toml",
                relative(root, &dir)
            ));
            continue;
        }
        let manifest = read_toml(&path)?;
        let package = manifest
            .get("package")
            .and_then(toml::Value::as_table)
            .with_context(|| format!("{} has no [package]", path.display()))?
            .clone();
        let name = package
            .get("name")
            .and_then(toml::Value::as_str)
            .with_context(|| format!("{} has no package name", path.display()))?
            .to_string();
        let dir_name = dir
            .file_name()
            .and_then(|it| it.to_str())
            .unwrap_or_default();
        if name != dir_name {
            problems.push(format!(
                "{}: package `{name}` lives in {dir_name}/; name the folder after the crate",
                relative(root, &path)
            ));
        }
        let mut dep_tables: Vec<&toml::Table> = manifest
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .collect();
        if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
            dep_tables.extend(
                targets
                    .values()
                    .filter_map(|it| it.get("dependencies")?.as_table()),
            );
        }
        let deps = dep_tables
            .into_iter()
            .flat_map(|table| table.iter())
            .map(|(key, spec)| package_name(key, spec, workspace_deps))
            .collect();
        manifests.push(Manifest {
            path,
            name,
            deps,
            package,
        });
    }
    Ok(manifests)
}

/// The package a dependency entry names: its key, unless it or the workspace
/// entry it inherits renames it with `package = "…"`.
fn package_name(key: &str, spec: &toml::Value, workspace_deps: Option<&toml::Table>) -> String {
    let renamed = |spec: &toml::Value| {
        spec.get("package")
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    if let Some(name) = renamed(spec) {
        return name;
    }
    let inherits = spec.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    if inherits
        && let Some(name) = workspace_deps
            .and_then(|deps| deps.get(key))
            .and_then(renamed)
    {
        return name;
    }
    key.to_string()
}

/// Whether crate `name` matches `pattern` (see the top of the file).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(family) => {
            name == family
                || name
                    .strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('-'))
        }
        None => name == pattern,
    }
}

pub(crate) fn contains_word(line: &str, word: &str) -> bool {
    let is_word_char = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(idx, _)| {
        let before = line[..idx].chars().next_back();
        let after = line[idx + word.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

/// Files under `dir` with one of `extensions`, sorted, skipping build output
/// and hidden directories.
fn files(dir: &Path, extensions: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("could not list {}", dir.display()))?
                .path();
            let name = path
                .file_name()
                .and_then(|it| it.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name) {
                    pending.push(path);
                }
            } else if path
                .extension()
                .and_then(|it| it.to_str())
                .is_some_and(|ext| extensions.contains(&ext))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

fn read_toml(path: &Path) -> anyhow::Result<toml::Table> {
    toml::from_str(&read(path)?).with_context(|| format!("could not parse {}", path.display()))
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
