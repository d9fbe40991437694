//! `commons pattern abstract|submit|list|search|show|vote|approve|withdraw|key|rotate-key|author|corpus`:
//! what sharing a piece of code would reveal, computed and printed locally,
//! and the community review of submitted patterns.
//!
//! `submit` fetches the community's pattern key from the node (members
//! only), fingerprints the code here and sends only the keyed hash set.
//! Both `abstract` and `submit` pass the privacy gate against the reference
//! corpus of public code built by `pattern corpus` (kept in the data
//! directory): grams found in public code are dropped and a pattern made
//! mostly of them is refused.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use commons_fingerprint::{CommunityKey, Config, Language, ReferenceCorpus, SharedFingerprint};
use commons_node::control::Command;
use commons_patterns::Properties;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{print_reply, text};
use crate::client::Target;
use crate::config::Config as NodeConfig;

#[derive(Debug, Subcommand)]
pub enum PatternCommand {
    /// Print exactly what submitting FILE (or some of its lines) would share:
    /// a set of keyed hashes, the token count and the scheme, nothing else
    Abstract(AbstractArgs),
    /// Fingerprint FILE (or FILE:A-B) under a community's key here and
    /// submit the keyed hashes with a title and properties for review
    Submit(SubmitArgs),
    /// List a community's patterns (newest first)
    List(ListArgs),
    /// Search a community's patterns by words in title, description, category
    Search {
        /// Words that must all appear
        query: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Show a pattern: properties, votes, reviewers, history, near-duplicates
    Show {
        /// Pattern id (or a unique prefix)
        pattern: String,
        #[command(flatten)]
        who: Who,
    },
    /// Vote for a pattern (or against it with --against); a later vote
    /// replaces your earlier one
    Vote {
        /// Pattern id (or a unique prefix)
        pattern: String,
        /// Vote against instead of for
        #[arg(long)]
        against: bool,
        #[command(flatten)]
        who: Who,
    },
    /// Approve a pattern (members with the expert role)
    Approve {
        /// Pattern id (or a unique prefix)
        pattern: String,
        #[command(flatten)]
        who: Who,
    },
    /// Withdraw a pattern you submitted
    Withdraw {
        /// Pattern id (or a unique prefix)
        pattern: String,
        #[command(flatten)]
        who: Who,
    },
    /// Print the community's pattern key (members only; keep it private)
    Key {
        #[command(flatten)]
        who: Who,
    },
    /// Start the next epoch of the community's pattern key (its admins);
    /// new submissions must then be hashed with the new key
    RotateKey {
        #[command(flatten)]
        who: Who,
    },
    /// Build the reference corpus of public code that the privacy gate of
    /// `abstract` and `submit` checks against, from source trees (kept in
    /// the data directory; replaces an earlier one)
    Corpus {
        /// Directories (or files) of public source code
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show who submitted an anonymous pattern (moderators, on the
    /// community's home node); every lookup is written to the audit log
    Author {
        /// Pattern id (or a unique prefix)
        pattern: String,
        #[command(flatten)]
        who: Who,
    },
}

/// The community and the acting user.
#[derive(Debug, Args)]
pub struct Who {
    /// The community's id or name
    #[arg(long)]
    community: String,
    /// Acting user
    #[arg(long, default_value = "admin")]
    user: String,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The source file, optionally with a line range: `app.py:10-24`
    file: String,
    /// Title shown to reviewers
    #[arg(long)]
    title: String,
    /// What is wrong and what to do instead
    #[arg(long, default_value = "")]
    description: String,
    /// `severity=high`, `category=sql-injection`, `performance=low`,
    /// `security=high`; repeatable (category is required)
    #[arg(long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
    /// Submit without your name: the home node signs, and only it knows
    #[arg(long)]
    anonymous: bool,
    /// Language, when the file extension does not tell
    #[arg(long)]
    language: Option<String>,
    #[command(flatten)]
    who: Who,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this state: submitted, in-review, accepted, rejected, withdrawn
    #[arg(long)]
    state: Option<String>,
    /// Only patterns waiting for review (submitted or in review)
    #[arg(long, conflicts_with = "state")]
    queue: bool,
    /// Only this language
    #[arg(long)]
    language: Option<String>,
    /// Only this category
    #[arg(long)]
    category: Option<String>,
    /// Only this severity or worse
    #[arg(long)]
    severity: Option<String>,
    #[command(flatten)]
    who: Who,
}

#[derive(Debug, Args)]
pub struct AbstractArgs {
    /// The source file, optionally with a line range: `app.py:10-24`
    file: String,
    /// Lines to abstract, `A-B` (1-based, inclusive)
    #[arg(long)]
    lines: Option<String>,
    /// Language, when the file extension does not tell
    #[arg(long)]
    language: Option<String>,
    /// A title, kept with the output so `commons scan --patterns` can name it
    #[arg(long)]
    title: Option<String>,
    /// Severity: critical, high, medium, low or info
    #[arg(long, default_value = "medium")]
    severity: Severity,
    /// Hash under this community's key (members only) instead of the local
    /// key, for pasting into the community's submission page
    #[arg(long)]
    community: Option<String>,
    /// The member fetching the community's key
    #[arg(long, default_value = "admin")]
    user: String,
}

/// How bad a match is, worst first in declaration order reversed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// A pattern file: the output of `pattern abstract --json`, read back by
/// `scan --patterns`. `fingerprint` is exactly what would be shared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatternFile {
    /// Format marker.
    pub format: String,
    /// A name for reports.
    pub title: String,
    /// How bad a match is.
    pub severity: Severity,
    /// The language of the pattern's code.
    pub language: String,
    /// Which key the hashes are under: `local` (this node's own key) or
    /// `community:ID` (that community's pattern key).
    pub key: String,
    /// The shared form.
    pub fingerprint: SharedFingerprint,
    /// What the privacy gate saw.
    pub gate: commons_fingerprint::GateReport,
}

pub const PATTERN_FORMAT: &str = "commons-pattern/1";

pub async fn run(
    command: PatternCommand,
    config: &NodeConfig,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if let PatternCommand::Corpus { paths } = command {
        return build_corpus(&paths, config, json);
    }
    if let PatternCommand::Abstract(args) = command {
        let key = match &args.community {
            None => None,
            Some(community) => {
                let target = Target::connect(config).await?;
                let reply = target
                    .run(Command::PatternKey {
                        user: args.user.clone(),
                        community: community.clone(),
                    })
                    .await;
                target.close().await;
                let reply = reply?;
                let id = text(&reply["community"]).to_owned();
                Some((format!("community:{id}"), community_key(&reply)?))
            }
        };
        return abstract_file(args, config, key, json);
    }
    let target = Target::connect(config).await?;
    let result = review(command, config, &target, json).await;
    target.close().await;
    result
}

async fn review(
    command: PatternCommand,
    config: &NodeConfig,
    target: &Target,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (reply, print): (Value, fn(&Value)) = match command {
        PatternCommand::Abstract(_) | PatternCommand::Corpus { .. } => {
            unreachable!("handled without a node")
        }
        PatternCommand::Submit(args) => {
            let corpus = reference_corpus(config)?;
            let reply = submit(args, corpus.as_ref(), target).await?;
            (reply, |reply| {
                println!(
                    "submitted pattern {} to review ({})",
                    text(&reply["id"]),
                    text(&reply["state"])
                );
                for similar in reply["similar"].as_array().into_iter().flatten() {
                    println!(
                        "  near-duplicate of {} \"{}\" ({}, {:.0}% contained), linked for reviewers",
                        text(&similar["id"]),
                        text(&similar["title"]),
                        text(&similar["state"]),
                        similar["containment"].as_f64().unwrap_or(0.0) * 100.0
                    );
                }
            })
        }
        PatternCommand::List(list) => (target.run(list_command(list, None)).await?, print_list),
        PatternCommand::Search { query, list } => (
            target.run(list_command(list, Some(query))).await?,
            print_list,
        ),
        PatternCommand::Show { pattern, who } => {
            let reply = target
                .run(Command::PatternShow {
                    user: who.user,
                    community: who.community,
                    pattern,
                })
                .await?;
            (reply, print_detail)
        }
        PatternCommand::Vote {
            pattern,
            against,
            who,
        } => {
            let reply = target
                .run(Command::PatternVote {
                    user: who.user,
                    community: who.community,
                    pattern,
                    vote: if against { -1 } else { 1 },
                })
                .await?;
            (reply, |reply| {
                println!(
                    "voted; pattern {} is {} with net votes {}",
                    text(&reply["id"]),
                    text(&reply["state"]),
                    reply["votes"]["net"]
                )
            })
        }
        PatternCommand::Approve { pattern, who } => {
            let reply = target
                .run(Command::PatternApprove {
                    user: who.user,
                    community: who.community,
                    pattern,
                })
                .await?;
            (reply, |reply| {
                println!(
                    "approved; pattern {} is {}",
                    text(&reply["id"]),
                    text(&reply["state"])
                )
            })
        }
        PatternCommand::Withdraw { pattern, who } => {
            let reply = target
                .run(Command::PatternWithdraw {
                    user: who.user,
                    community: who.community,
                    pattern,
                })
                .await?;
            (reply, |reply| {
                println!(
                    "pattern {} is {}",
                    text(&reply["id"]),
                    text(&reply["state"])
                )
            })
        }
        PatternCommand::Key { who } => {
            let reply = target
                .run(Command::PatternKey {
                    user: who.user,
                    community: who.community,
                })
                .await?;
            (reply, |reply| {
                println!("{} epoch {}", text(&reply["key"]), reply["epoch"])
            })
        }
        PatternCommand::RotateKey { who } => {
            let reply = target
                .run(Command::PatternRotateKey {
                    user: who.user,
                    community: who.community,
                })
                .await?;
            (reply, |reply| {
                println!(
                    "the pattern key of {} is now at epoch {}; members fetch it again before submitting",
                    text(&reply["name"]),
                    reply["epoch"]
                )
            })
        }
        PatternCommand::Author { pattern, who } => {
            let reply = target
                .run(Command::PatternAuthor {
                    user: who.user,
                    community: who.community,
                    pattern,
                })
                .await?;
            (reply, |reply| match reply["author"].as_str() {
                Some(author) => println!("submitted anonymously by {author}"),
                None => println!("not an anonymous submission of this node"),
            })
        }
    };
    print_reply(&reply, json, print);
    Ok(ExitCode::SUCCESS)
}

fn print_list(reply: &Value) {
    let list = reply.as_array().cloned().unwrap_or_default();
    for pattern in &list {
        println!(
            "{}  {:<9} {:<8} {:<10} {:<24} {:+} {}",
            &text(&pattern["id"])[..12.min(text(&pattern["id"]).len())],
            text(&pattern["state"]),
            text(&pattern["properties"]["severity"]),
            text(&pattern["language"]),
            text(&pattern["properties"]["category"]),
            pattern["votes"]["net"].as_i64().unwrap_or(0),
            text(&pattern["title"]),
        );
    }
    println!("{} patterns", list.len());
}

fn list_command(list: ListArgs, query: Option<String>) -> Command {
    Command::PatternList {
        user: list.who.user,
        community: list.who.community,
        state: if list.queue {
            Some("open".to_owned())
        } else {
            list.state
        },
        language: list.language,
        category: list.category,
        severity: list.severity,
        query,
    }
}

fn print_detail(reply: &Value) {
    println!("{}", text(&reply["title"]));
    println!("  id          {}", text(&reply["id"]));
    println!("  state       {}", text(&reply["state"]));
    println!(
        "  submitted   by {}",
        reply["author_name"].as_str().unwrap_or("anonymous")
    );
    println!(
        "  language    {}   tokens {}   hashes {}",
        text(&reply["language"]),
        reply["token_count"],
        reply["hash_count"]
    );
    let properties = &reply["properties"];
    println!(
        "  properties  severity {}, category {}, performance {}, security {}",
        text(&properties["severity"]),
        text(&properties["category"]),
        text(&properties["performance"]),
        text(&properties["security"])
    );
    println!(
        "  votes       +{} -{} (net {}); approvals {}{}",
        reply["votes"]["for"],
        reply["votes"]["against"],
        reply["votes"]["net"],
        reply["approvals"],
        if reply["needs_expert"].as_bool() == Some(true) {
            " (an expert must approve)"
        } else {
            ""
        }
    );
    if let Some(description) = reply["description"].as_str().filter(|d| !d.is_empty()) {
        println!("  {description}");
    }
    for (label, list, field) in [
        ("voted", &reply["votes_cast"], "name"),
        ("approved", &reply["approved_by"], "name"),
        ("suggested reviewers", &reply["reviewers"], "name"),
        ("similar", &reply["similar"], "title"),
    ] {
        let names: Vec<&str> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| text(&item[field]))
            .collect();
        if !names.is_empty() {
            println!("  {label}: {}", names.join(", "));
        }
    }
    let counts = &reply["match_counts"];
    if counts["reporters"].as_u64().unwrap_or(0) > 0 {
        println!(
            "  matches     {} reported by {} members (opt-in)",
            counts["total"], counts["reporters"]
        );
    }
    for transition in reply["transitions"].as_array().into_iter().flatten() {
        println!(
            "  -> {} ({})",
            text(&transition["state"]),
            text(&transition["reason"])
        );
    }
}

async fn submit(
    args: SubmitArgs,
    corpus: Option<&ReferenceCorpus>,
    target: &Target,
) -> anyhow::Result<Value> {
    let properties = parse_properties(&args.properties)?;
    let (path, inline_lines) = split_line_suffix(&args.file);
    let lines = inline_lines.map(parse_range).transpose()?;
    let language = match &args.language {
        Some(name) => Language::from_name(name).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => language_of(&path)?,
    };
    let source = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let key_reply = target
        .run(Command::PatternKey {
            user: args.who.user.clone(),
            community: args.who.community.clone(),
        })
        .await?;
    let key = community_key(&key_reply)?;
    let engine = Config::default();
    let fingerprint = match lines {
        Some((first, last)) => {
            commons_fingerprint::fingerprint_lines(language, &source, first..=last, &engine)
        }
        None => commons_fingerprint::fingerprint(language, &source, &engine),
    }
    .with_context(|| format!("cannot fingerprint {}", path.display()))?;
    let (shared, _) = fingerprint
        .export(&key, corpus, &engine)
        .map_err(|e| anyhow::anyhow!("{e}; pick a larger region of code"))?;
    let submission = commons_node::patterns::Submission {
        title: args.title,
        description: args.description,
        language: language.name().to_owned(),
        properties,
        fingerprint: shared,
        anonymous: args.anonymous,
    };
    target
        .run(Command::PatternSubmit {
            user: args.who.user,
            community: args.who.community,
            submission,
        })
        .await
}

/// The engine key from a `pattern key` or `pattern library` reply.
pub fn community_key(reply: &Value) -> anyhow::Result<CommunityKey> {
    let mut bytes = [0u8; 32];
    let hex_key = reply["key"].as_str().unwrap_or_default();
    if hex_key.len() != 64 || !hex_key.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the node sent no usable pattern key");
    }
    for (idx, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_key[idx * 2..idx * 2 + 2], 16)
            .context("the node sent no usable pattern key")?;
    }
    let epoch = reply["epoch"]
        .as_u64()
        .and_then(|epoch| u32::try_from(epoch).ok())
        .context("the node sent no key epoch")?;
    Ok(CommunityKey::new(bytes, epoch))
}

/// `--property key=value` pairs into properties; `category` is required.
fn parse_properties(pairs: &[String]) -> anyhow::Result<Properties> {
    let mut severity = commons_patterns::Severity::Medium;
    let mut category = None;
    let mut performance = commons_patterns::Impact::None;
    let mut security = commons_patterns::Impact::None;
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--property {pair:?}: expected KEY=VALUE, e.g. severity=high");
        };
        let value = value.trim();
        match key.trim() {
            "severity" => {
                severity = value
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--property severity: {e}"))?
            }
            "category" => {
                commons_patterns::validate::check_category(value)
                    .map_err(|e| anyhow::anyhow!("--property category: {e}"))?;
                category = Some(value.to_owned());
            }
            "performance" => {
                performance = value
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--property performance: {e}"))?
            }
            "security" => {
                security = value
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--property security: {e}"))?
            }
            other => bail!(
                "--property {other}: unknown property; use severity, category, performance or security"
            ),
        }
    }
    let Some(category) = category else {
        bail!("--property category=… is required, e.g. --property category=sql-injection");
    };
    Ok(Properties {
        severity,
        category,
        performance,
        security,
    })
}

fn abstract_file(
    args: AbstractArgs,
    config: &NodeConfig,
    community_key: Option<(String, CommunityKey)>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (path, inline_lines) = split_line_suffix(&args.file);
    let lines = match (args.lines.as_deref(), inline_lines) {
        (Some(_), Some(_)) => bail!("give the line range once: either FILE:A-B or --lines A-B"),
        (Some(range), None) | (None, Some(range)) => Some(parse_range(range)?),
        (None, None) => None,
    };
    let language = match &args.language {
        Some(name) => Language::from_name(name).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => language_of(&path)?,
    };
    let source = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let engine = Config::default();
    let fingerprint = match lines {
        Some((first, last)) => {
            commons_fingerprint::fingerprint_lines(language, &source, first..=last, &engine)
        }
        None => commons_fingerprint::fingerprint(language, &source, &engine),
    }
    .with_context(|| format!("cannot fingerprint {}", path.display()))?;
    let (key_name, key) = match community_key {
        Some((name, key)) => (name, key),
        None => ("local".to_owned(), local_key(config)?),
    };
    let corpus = reference_corpus(config)?;
    let (shared, gate) = fingerprint
        .export(&key, corpus.as_ref(), &engine)
        .map_err(|e| anyhow::anyhow!("{e}; pick a larger region of code"))?;
    let title = args.title.unwrap_or_else(|| {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match lines {
            Some((first, last)) => format!("{name}:{first}-{last}"),
            None => name,
        }
    });
    let file = PatternFile {
        format: PATTERN_FORMAT.to_owned(),
        title,
        severity: args.severity,
        language: language.name().to_owned(),
        key: key_name,
        fingerprint: shared,
        gate,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&file)?);
    } else {
        println!("{} ({}, {:?})", file.title, file.language, file.severity);
        println!(
            "shares {} keyed hashes of {} tokens; no code, names, literals, positions or paths",
            file.fingerprint.hashes.len(),
            file.fingerprint.token_count
        );
        println!(
            "gate: {} grams selected, {} common (dropped), {} kept",
            gate.grams, gate.common, gate.kept
        );
        if corpus.is_none() {
            println!(
                "  no reference corpus: build one with `commons pattern corpus PATH…` so grams found in public code are dropped"
            );
        } else {
            println!(
                "  checked against a reference corpus of {} public {} files",
                gate.corpus_documents,
                language.name()
            );
        }
        for hash in &file.fingerprint.hashes {
            println!("{hash:016x}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `pattern corpus` keeps the reference corpus.
fn corpus_path(config: &NodeConfig) -> PathBuf {
    config.data_dir.join("reference.corpus")
}

/// The reference corpus, when one was built.
fn reference_corpus(config: &NodeConfig) -> anyhow::Result<Option<ReferenceCorpus>> {
    let path = corpus_path(config);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    let corpus = ReferenceCorpus::from_bytes(&bytes).with_context(|| {
        format!(
            "{} is damaged; rebuild it with `commons pattern corpus PATH…`",
            path.display()
        )
    })?;
    Ok(Some(corpus))
}

/// Reads every supported file under `paths` (honouring `.gitignore`) and
/// writes the reference corpus of their grams to the data directory.
fn build_corpus(paths: &[PathBuf], config: &NodeConfig, json: bool) -> anyhow::Result<ExitCode> {
    let engine = Config::default();
    let mut documents: Vec<(Language, String)> = Vec::new();
    let mut skipped = 0u64;
    for path in paths {
        if !path.exists() {
            bail!(
                "{} does not exist; give directories of public source code",
                path.display()
            );
        }
        for entry in ignore::WalkBuilder::new(path).follow_links(true).build() {
            let Ok(entry) = entry else {
                skipped += 1;
                continue;
            };
            if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            let Some(language) = Language::from_path(&name) else {
                continue;
            };
            let text = std::fs::read(entry.path())
                .ok()
                .filter(|bytes| bytes.len() <= engine.limits.max_bytes)
                .and_then(|bytes| String::from_utf8(bytes).ok());
            match text {
                Some(text) => documents.push((language, text)),
                None => skipped += 1,
            }
        }
    }
    if documents.is_empty() {
        bail!("no supported source files under the given paths; the corpus was not changed");
    }
    let corpus = ReferenceCorpus::build(
        documents
            .iter()
            .map(|(language, text)| (*language, text.as_str())),
        &engine,
    );
    let path = corpus_path(config);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    std::fs::write(&path, corpus.to_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let languages: serde_json::Map<String, Value> = Language::ALL
        .iter()
        .filter(|language| corpus.documents(**language) > 0)
        .map(|language| {
            (
                language.name().to_owned(),
                Value::from(corpus.documents(*language)),
            )
        })
        .collect();
    let reply = serde_json::json!({
        "path": path,
        "documents": languages,
        "skipped": skipped,
    });
    print_reply(&reply, json, |reply| {
        println!("reference corpus written to {}", text(&reply["path"]));
        for (language, n) in languages.iter() {
            println!("  {language}: {n} files");
        }
        if skipped > 0 {
            println!("  {skipped} files skipped (unreadable, too large or not UTF-8)");
        }
    });
    Ok(ExitCode::SUCCESS)
}

/// The key of local pattern files.
pub fn local_key(config: &NodeConfig) -> anyhow::Result<CommunityKey> {
    let bytes = commons_node::local_pattern_key(&config.data_dir)?;
    Ok(CommunityKey::new(bytes, 0))
}

/// The language of a file by its extension, or an error saying what to do.
pub fn language_of(path: &Path) -> anyhow::Result<Language> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    Language::from_path(&name).ok_or_else(|| {
        anyhow::anyhow!(
            "cannot tell the language of {} from its name; pass --language (python, javascript, typescript, tsx, rust, go, java, c, cpp, csharp)",
            path.display()
        )
    })
}

/// `file.py:10-20` → (`file.py`, `10-20`); a colon without a range is part
/// of the name.
fn split_line_suffix(text: &str) -> (PathBuf, Option<&str>) {
    if let Some((path, range)) = text.rsplit_once(':')
        && !path.is_empty()
        && range.contains('-')
        && range.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return (PathBuf::from(path), Some(range));
    }
    (PathBuf::from(text), None)
}

fn parse_range(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((first, last)) if first >= 1 && first <= last => Ok((first, last)),
        _ => bail!("invalid line range {text:?}: expected A-B with 1 <= A <= B, e.g. 10-24"),
    }
}
