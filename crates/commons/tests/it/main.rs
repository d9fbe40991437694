//! The built `commons` binary in temporary data directories: commands with
//! the node stopped and running, verification of tampered logs, backup and
//! restore, identity moves, and bad input.

mod intel;
mod taxii;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_commons"));
        command.arg("--data-dir").arg(self.data_dir()).args(args);
        command
            .env_remove("COMMONS_DATABASE_URL")
            .env("COMMONS_LOG", "warn");
        command
    }

    #[track_caller]
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn commons");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("wait for commons")
    }

    #[track_caller]
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "commons {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stdout).expect("utf-8 stdout")
    }

    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all, None)).expect("JSON output")
    }

    #[track_caller]
    fn fails(&self, args: &[&str], stdin: Option<&str>, message: &str) {
        let output = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "commons {args:?} should fail");
        assert!(
            stderr.contains(message),
            "commons {args:?}: expected {message:?} in {stderr}"
        );
    }

    fn serve(&self) -> Server {
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("server printed its address")
                .expect("read line");
            if let Some(address) = line.strip_prefix("listening on ") {
                break address.to_owned();
            }
        };
        Server { child, address }
    }
}

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn stopped_node_commands() {
    let cli = Cli::new();
    cli.ok(
        &["user", "add", "alice", "--password-stdin"],
        Some(PASSWORD),
    );
    let users = cli.json(&["user", "list"]);
    let names: Vec<&str> = users
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["admin", "alice"]);

    let token = cli.ok(&["token", "create", "--user", "alice"], None);
    assert!(
        token
            .trim_end()
            .lines()
            .last()
            .expect("a line")
            .starts_with("cmn_"),
        "{token}"
    );

    cli.ok(
        &[
            "community",
            "create",
            "team",
            "--private",
            "--template",
            "invite-only",
            "--user",
            "alice",
        ],
        None,
    );
    cli.ok(&["community", "join", "web", "--user", "alice"], None);
    let list = cli.json(&["community", "list", "--user", "alice"]);
    let list = list.as_array().expect("array");
    let names: Vec<&str> = list.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["embedded", "ml", "security", "team", "web"]);
    for community in list {
        for field in ["id", "name", "home", "visibility", "role"] {
            assert!(
                community.get(field).is_some(),
                "{field} missing in {community}"
            );
        }
    }
    let web = list.iter().find(|c| c["name"] == "web").expect("web");
    assert_eq!(web["role"], "member");
    let team = list.iter().find(|c| c["name"] == "team").expect("team");
    assert_eq!(
        (team["role"].as_str(), team["visibility"].as_str()),
        (Some("admin"), Some("private"))
    );

    // The admin cannot see the private community.
    let admin_list = cli.json(&["community", "list"]);
    assert!(
        !admin_list
            .as_array()
            .expect("array")
            .iter()
            .any(|c| c["name"] == "team")
    );

    let log = cli.json(&["log", "show", "web"]);
    let kinds: Vec<&str> = log
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|kind| kind.starts_with("community."))
        .collect();
    assert_eq!(kinds, ["community.create", "community.join"]);

    let out = cli.ok(&["verify"], None);
    assert_eq!(
        out.lines().filter(|line| line.starts_with("ok\t")).count(),
        5,
        "{out}"
    );
}

#[test]
fn membership_commands_follow_the_policy() {
    let cli = Cli::new();
    for name in ["bob", "carol"] {
        cli.ok(&["user", "add", name, "--password-stdin"], Some(PASSWORD));
    }
    cli.ok(
        &["community", "create", "club", "--template", "invite-only"],
        None,
    );
    // Invite-only: bob cannot join until invited.
    cli.fails(
        &["community", "join", "club", "--user", "bob"],
        None,
        "invited members only",
    );
    cli.ok(&["community", "invite", "club", "bob"], None);
    cli.ok(&["community", "join", "club", "--user", "bob"], None);

    // Switching to approval: carol's request waits until approved.
    let policy = cli.json(&[
        "community",
        "policy",
        "club",
        "--join",
        "approval",
        "--votes",
        "2",
    ]);
    assert_eq!(policy["policy"]["join"], "approval");
    assert_eq!(policy["policy"]["votes_to_accept"], 2);
    cli.ok(&["community", "join", "club", "--user", "carol"], None);
    let role_of = |user: &str| {
        let list = cli.json(&["community", "list", "--user", user]);
        let club = list
            .as_array()
            .expect("array")
            .iter()
            .find(|c| c["name"] == "club")
            .cloned()
            .expect("club listed");
        (
            club["role"].as_str().map(str::to_owned),
            club["pending"].clone(),
        )
    };
    assert_eq!(role_of("carol"), (None, Value::Bool(true)));
    // A member cannot approve; the admin can.
    cli.fails(
        &["community", "approve", "club", "carol", "--user", "bob"],
        None,
        "at least moderator is required",
    );
    cli.ok(&["community", "approve", "club", "carol"], None);
    assert_eq!(role_of("carol").0.as_deref(), Some("member"));

    cli.ok(&["community", "remove", "club", "bob"], None);
    let members = cli.json(&["log", "show", "club"]);
    let kinds: Vec<&str> = members
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "community.create",
            "community.invite",
            "community.join",
            "community.policy",
            "community.join",
            "community.approve",
            "community.remove"
        ]
    );
    cli.fails(
        &["community", "policy", "club", "--join", "sometimes"],
        None,
        "unknown join rule",
    );
    cli.fails(
        &[
            "community",
            "policy",
            "club",
            "--votes",
            "3",
            "--user",
            "carol",
        ],
        None,
        "at least admin is required",
    );
}

const CONCATENATED_QUERY: &str = "import sqlite3\n\ndef find_user(conn, name):\n    cursor = conn.cursor()\n    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"' AND active = 1\")\n    rows = cursor.fetchall()\n    for row in rows:\n        print(row[0], row[1])\n    return rows\n";

/// The same code with every name and literal changed, and its fix.
const RENAMED_AND_FIXED: &str = "import sqlite3\n\ndef lookup(db, login):\n    c = db.cursor()\n    c.execute(\"SELECT id FROM accounts WHERE login = '\" + login + \"' AND enabled = 0\")\n    result = c.fetchall()\n    for r in result:\n        print(r[3], r[4])\n    return result\n\ndef safe(db, login):\n    c = db.cursor()\n    c.execute(\"SELECT id FROM accounts WHERE login = ?\", (login,))\n    return c.fetchall()\n";

#[test]
fn pattern_abstract_and_scan() {
    let cli = Cli::new();
    let tree = cli.dir.path().join("tree");
    std::fs::create_dir_all(tree.join("src")).expect("mkdir");
    std::fs::write(tree.join("src/db.py"), CONCATENATED_QUERY).expect("write");
    std::fs::write(tree.join("src/other.py"), RENAMED_AND_FIXED).expect("write");
    std::fs::write(tree.join("src/blob.py"), b"binary\0data").expect("write");
    std::fs::write(tree.join("src/bad.py"), [0xff, 0xfe, b'x']).expect("write");
    std::fs::write(tree.join("notes.txt"), "not code").expect("write");
    std::fs::write(tree.join(".ignore"), "skipped.py\n").expect("write");
    std::fs::write(tree.join("skipped.py"), CONCATENATED_QUERY).expect("write");

    let source = tree.join("src/db.py");
    let pattern = cli.json(&[
        "pattern",
        "abstract",
        &format!("{}:3-9", source.display()),
        "--title",
        "SQL built by concatenation",
        "--severity",
        "high",
    ]);
    // What would be shared names nothing of the code.
    let shared = pattern["fingerprint"].to_string();
    for secret in [
        "find_user",
        "users",
        "active",
        "rows",
        "SELECT",
        "db.py",
        "\"line",
    ] {
        assert!(!shared.contains(secret), "{secret} leaked into {shared}");
    }
    assert!(
        pattern["fingerprint"]["hashes"]
            .as_array()
            .expect("hashes")
            .len()
            >= 4
    );
    let patterns = cli.dir.path().join("patterns");
    std::fs::create_dir_all(&patterns).expect("mkdir");
    std::fs::write(patterns.join("sql.json"), pattern.to_string()).expect("write");

    let tree_arg = tree.to_str().expect("utf-8 path");
    let patterns_arg = patterns.to_str().expect("utf-8 path");
    let report = cli.json(&["scan", tree_arg, "--patterns", patterns_arg]);
    let found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().expect("file").to_owned(),
                f["first_line"].as_u64().expect("line"),
            )
        })
        .collect();
    // The renamed copy matches; its parameterized fix below does not; the
    // ignored file is not read. A match starts at its first matched gram,
    // within one share window of the pattern's first line (3).
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "src/db.py");
    assert_eq!(found[1].0, "src/other.py");
    assert!(
        found.iter().all(|(_, line)| (3..=4).contains(line)),
        "{found:?}"
    );
    assert_eq!(report["summary"]["scanned"], 2);
    assert_eq!(report["summary"]["skipped"]["binary"], 1);
    assert_eq!(report["summary"]["skipped"]["invalid UTF-8"], 1);
    assert_eq!(report["summary"]["unsupported"], 1);

    let sarif: Value = serde_json::from_str(&cli.ok(
        &[
            "scan",
            tree_arg,
            "--patterns",
            patterns_arg,
            "--format",
            "sarif",
        ],
        None,
    ))
    .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["level"], "error");
    let start = &results[0]["locations"][0]["physicalLocation"]["region"]["startLine"];
    assert!(start == 3 || start == 4, "{start}");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
        results[0]["ruleId"]
    );

    let output = cli.run(
        &[
            "scan",
            tree_arg,
            "--patterns",
            patterns_arg,
            "--fail-on",
            "high",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let output = cli.run(
        &[
            "scan",
            tree_arg,
            "--patterns",
            patterns_arg,
            "--fail-on",
            "critical",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0));

    cli.fails(&["scan", tree_arg], None, "no patterns to scan for");
    cli.fails(
        &["scan", "/no/such/dir", "--patterns", patterns_arg],
        None,
        "does not exist",
    );
    cli.fails(
        &[
            "pattern",
            "abstract",
            tree.join("notes.txt").to_str().expect("utf-8"),
        ],
        None,
        "pass --language",
    );
    cli.fails(
        &["pattern", "abstract", &format!("{}:9-3", source.display())],
        None,
        "invalid line range",
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let cli = Cli::new();
    cli.fails(
        &["user", "add", "Bad Name", "--password-stdin"],
        Some(PASSWORD),
        "must start with a lowercase letter",
    );
    cli.fails(
        &["user", "add", "bob", "--password-stdin"],
        Some("short"),
        "at least 10 characters",
    );
    cli.fails(
        &["user", "add", "bob", "--password-stdin"],
        Some(""),
        "no password on standard input",
    );
    cli.fails(
        &["community", "join", "nowhere"],
        None,
        "community nowhere not found",
    );
    cli.fails(
        &["community", "create", "x1", "--template", "chaos"],
        None,
        "unknown template",
    );
    cli.fails(&["community", "join", "web"], None, "already a member");
    cli.fails(
        &["token", "create", "--user", "ghost"],
        None,
        "user ghost not found",
    );
    cli.fails(
        &["community", "follow", "web"],
        None,
        "needs the community's id",
    );
}

#[test]
fn verify_names_the_first_tampered_entry() {
    let cli = Cli::new();
    cli.ok(
        &["user", "add", "alice", "--password-stdin"],
        Some(PASSWORD),
    );
    cli.ok(&["community", "join", "security", "--user", "alice"], None);
    cli.ok(&["community", "role", "security", "alice", "expert"], None);
    // The join follows the starter patterns seeded at first start.
    let log = cli.json(&["log", "show", "security"]);
    let join = log
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["kind"] == "community.join")
        .expect("the join is logged")["seq"]
        .clone();
    let db = cli.data_dir().join("commons.db");
    tamper(
        &db,
        "UPDATE log_entries SET record = replace(record, 'alice', 'mallo') WHERE kind = 'community.join'",
    );
    let output = cli.run(&["verify", "--community", "security"], None);
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("first bad entry {join}")),
        "{stdout}"
    );
}

fn tamper(db: &Path, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open db");
        let result = sqlx::query(sql).execute(&mut conn).await.expect("tamper");
        assert_eq!(result.rows_affected(), 1);
    });
}

#[test]
fn running_node_serves_commands_backup_and_restore() {
    let cli = Cli::new();
    let server = cli.serve();
    assert!(server.address.starts_with("http://127.0.0.1:"));
    cli.ok(
        &["user", "add", "carol", "--password-stdin"],
        Some(PASSWORD),
    );
    cli.ok(&["community", "join", "ml", "--user", "carol"], None);
    let backup = cli.dir.path().join("backup.db");
    cli.ok(&["backup", backup.to_str().expect("utf-8")], None);
    cli.fails(
        &["restore", backup.to_str().expect("utf-8")],
        None,
        "stop it before restoring",
    );
    // A write after the backup, lost by the restore.
    cli.ok(&["community", "join", "web", "--user", "carol"], None);
    server.stop();

    let out = cli.ok(&["restore", backup.to_str().expect("utf-8")], None);
    assert!(out.contains("log entries verified"), "{out}");
    let users = cli.json(&["user", "list"]);
    assert!(
        users
            .as_array()
            .expect("array")
            .iter()
            .any(|u| u["name"] == "carol")
    );
    let community_entries = |log: Value| {
        log.as_array()
            .expect("array")
            .iter()
            .filter(|e| {
                e["kind"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("community."))
            })
            .count()
    };
    assert_eq!(
        community_entries(cli.json(&["log", "show", "web"])),
        1,
        "the join after the backup is gone"
    );
    assert_eq!(community_entries(cli.json(&["log", "show", "ml"])), 2);
}

#[test]
fn identity_moves_between_nodes() {
    let from = Cli::new();
    let to = Cli::new();
    from.ok(&["user", "add", "dana", "--password-stdin"], Some(PASSWORD));
    let file = from.dir.path().join("dana.identity");
    from.ok(
        &[
            "identity",
            "export",
            "--user",
            "dana",
            file.to_str().expect("utf-8"),
        ],
        Some("a long passphrase"),
    );
    let key = from.json(&["user", "list"])[1]["public_key"].clone();
    to.fails(
        &[
            "identity",
            "import",
            "--user",
            "dana",
            file.to_str().expect("utf-8"),
        ],
        Some("wrong passphrase!"),
        "passphrase does not open",
    );
    to.ok(
        &[
            "identity",
            "import",
            "--user",
            "dana",
            file.to_str().expect("utf-8"),
        ],
        Some("a long passphrase"),
    );
    let users = to.json(&["user", "list"]);
    let dana = users
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["name"] == "dana")
        .expect("dana");
    assert_eq!(dana["public_key"], key);
}

/// Every kind of bad input in a scanned tree is counted with its reason and
/// none stops the scan; an unchanged tree is answered from the scan cache.
#[test]
fn scan_counts_bad_input_and_caches_unchanged_files() {
    let cli = Cli::new();
    let tree = cli.dir.path().join("tree");
    std::fs::create_dir_all(tree.join("src")).expect("mkdir");
    std::fs::write(tree.join("src/db.py"), CONCATENATED_QUERY).expect("write");
    // The pattern's code after a line the parser must recover from.
    let broken = format!("def oops(:\n    pass\n\n{CONCATENATED_QUERY}");
    std::fs::write(tree.join("src/broken.py"), broken).expect("write");
    std::fs::write(tree.join("src/blob.py"), b"\x7fELF\x02\x01\x00\x00").expect("write");
    std::fs::write(tree.join("src/latin1.py"), b"name = 'J\xf6rg'\n").expect("write");
    std::fs::write(tree.join("src/huge.py"), "x = 1\n".repeat(800_000)).expect("write");
    let deep = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
    std::fs::write(tree.join("src/deep.py"), deep).expect("write");
    std::fs::write(tree.join("src/data.unknownext"), "whatever").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&tree, tree.join("src/loop")).expect("symlink");

    let source = tree.join("src/db.py");
    let pattern = cli.json(&[
        "pattern",
        "abstract",
        &format!("{}:3-9", source.display()),
        "--title",
        "SQL built by concatenation",
        "--severity",
        "high",
    ]);
    let patterns = cli.dir.path().join("patterns");
    std::fs::create_dir_all(&patterns).expect("mkdir");
    std::fs::write(patterns.join("sql.json"), pattern.to_string()).expect("write");
    let tree_arg = tree.to_str().expect("utf-8 path");
    let patterns_arg = patterns.to_str().expect("utf-8 path");
    let scan = || cli.json(&["scan", tree_arg, "--patterns", patterns_arg]);
    let files = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["file"].as_str().expect("file").to_owned())
            .collect()
    };

    let first = scan();
    let summary = &first["summary"];
    assert_eq!(files(&first), ["src/broken.py", "src/db.py"]);
    assert_eq!(summary["scanned"], 2, "{summary}");
    assert_eq!(summary["syntax_errors"], 1, "{summary}");
    assert_eq!(summary["unsupported"], 1, "{summary}");
    assert_eq!(summary["skipped"]["binary"], 1, "{summary}");
    assert_eq!(summary["skipped"]["invalid UTF-8"], 1, "{summary}");
    assert_eq!(summary["skipped"]["over the size limit"], 1, "{summary}");
    assert_eq!(summary["skipped"]["nesting too deep"], 1, "{summary}");
    #[cfg(unix)]
    assert_eq!(summary["skipped"]["symlink loop"], 1, "{summary}");
    assert_eq!(summary["cached"], 0, "{summary}");

    // Unchanged: every scanned file comes from the cache, with the same
    // findings; a changed file is scanned again; --no-cache reads nothing.
    let second = scan();
    assert_eq!(second["summary"]["cached"], 2);
    assert_eq!(second["summary"]["syntax_errors"], 1);
    assert_eq!(second["findings"], first["findings"]);
    std::fs::write(&source, format!("{CONCATENATED_QUERY}\nprint(1)\n")).expect("write");
    let third = scan();
    assert_eq!(third["summary"]["cached"], 1);
    assert_eq!(files(&third), ["src/broken.py", "src/db.py"]);
    let uncached = cli.json(&["scan", tree_arg, "--patterns", patterns_arg, "--no-cache"]);
    assert_eq!(uncached["summary"]["cached"], 0);
    assert_eq!(uncached["findings"], third["findings"]);
}

const LIKE_QUERY: &str = "def lookup(db, request):\n    term = request.args[\"q\"]\n    cursor = db.cursor()\n    cursor.execute(\"SELECT * FROM items WHERE title LIKE '%\" + term + \"%' ORDER BY id\")\n    found = []\n    for row in cursor.fetchall():\n        found.append(row[0])\n    return found\n";

#[test]
fn pattern_submit_review_and_community_scan() {
    let cli = Cli::new();
    let code = cli.dir.path().join("code");
    std::fs::create_dir_all(&code).expect("mkdir");
    let file = code.join("search.py");
    std::fs::write(&file, format!("import sqlite3\n\n{LIKE_QUERY}")).expect("write");
    let file = file.to_str().expect("utf-8").to_owned();
    for name in ["alice", "bob"] {
        cli.ok(&["user", "add", name, "--password-stdin"], Some(PASSWORD));
        cli.ok(&["community", "join", "web", "--user", name], None);
    }

    // The starter library is there and scanning uses it.
    let list = cli.json(&[
        "pattern",
        "list",
        "--community",
        "web",
        "--state",
        "accepted",
    ]);
    assert!(list.as_array().expect("array").len() >= 4);
    // The web library's first starter pattern, renamed and re-laid out.
    std::fs::write(
        code.join("app.py"),
        "def get_account(req, conn):\n    login = req.args.get(\"login\")\n    c = conn.cursor()\n    \
         q = \"SELECT uid, mail FROM accounts WHERE login = '\" + login + \"' AND enabled = 0\"\n    \
         c.execute(q)\n    found = c.fetchall()\n    out = []\n    for r in found:\n        \
         out.append({\"uid\": r[0], \"mail\": r[1]})\n    return out\n",
    )
    .expect("write");
    let scan = cli.json(&[
        "scan",
        code.to_str().expect("utf-8"),
        "--community",
        "web",
        "--user",
        "alice",
    ]);
    let findings = scan["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["file"] == "app.py" && f["severity"] == "critical"),
        "{scan}"
    );

    // Submit with the node stopped: only keyed hashes are sent.
    let submitted = cli.json(&[
        "pattern",
        "submit",
        &format!("{file}:3-10"),
        "--community",
        "web",
        "--title",
        "LIKE query by concatenation",
        "--property",
        "category=sql-injection",
        "--property",
        "severity=high",
        "--user",
        "alice",
    ]);
    assert_eq!(submitted["state"], "submitted");
    assert_eq!(submitted["properties"]["severity"], "high");
    let id = submitted["id"].as_str().expect("id").to_owned();
    let log = cli.json(&["log", "show", "web"]);
    let record = log.as_array().expect("array").last().expect("entry")["record"].to_string();
    for secret in ["lookup", "items", "ORDER BY", "search.py", "term"] {
        assert!(!record.contains(secret), "{secret} leaked into {record}");
    }
    cli.fails(
        &[
            "pattern",
            "submit",
            &format!("{file}:3-10"),
            "--community",
            "web",
            "--title",
            "again",
            "--property",
            "category=sql-injection",
            "--user",
            "bob",
        ],
        None,
        "the same pattern is already in web",
    );

    // Review through the running node.
    let server = cli.serve();
    let voted = cli.json(&[
        "pattern",
        "vote",
        &id[..12],
        "--community",
        "web",
        "--user",
        "bob",
    ]);
    assert_eq!(voted["state"], "in-review");
    assert_eq!(voted["votes"]["net"], 1);
    cli.fails(
        &[
            "pattern",
            "vote",
            &id,
            "--community",
            "web",
            "--user",
            "alice",
        ],
        None,
        "you cannot vote on your own pattern",
    );
    cli.fails(
        &[
            "pattern",
            "approve",
            &id,
            "--community",
            "web",
            "--user",
            "bob",
        ],
        None,
        "needs the expert role",
    );
    let queue = cli.json(&["pattern", "list", "--community", "web", "--queue"]);
    assert_eq!(queue.as_array().expect("array").len(), 1);
    let found = cli.json(&["pattern", "search", "like", "--community", "web"]);
    assert_eq!(found[0]["id"], id.as_str());
    let shown = cli.ok(&["pattern", "show", &id, "--community", "web"], None);
    assert!(shown.contains("voted: bob"), "{shown}");
    assert!(shown.contains("-> in-review (first review)"), "{shown}");
    let withdrawn = cli.json(&[
        "pattern",
        "withdraw",
        &id,
        "--community",
        "web",
        "--user",
        "alice",
    ]);
    assert_eq!(withdrawn["state"], "withdrawn");
    server.stop();
}

#[test]
fn security_alerts_match_counts_key_rotation_and_author_lookup() {
    let cli = Cli::new();
    let code = cli.dir.path().join("code");
    std::fs::create_dir_all(&code).expect("mkdir");
    let file = code.join("search.py");
    std::fs::write(&file, format!("import sqlite3\n\n{LIKE_QUERY}")).expect("write");
    let file = file.to_str().expect("utf-8").to_owned();
    let code = code.to_str().expect("utf-8").to_owned();
    for name in ["alice", "bob", "v1", "v2", "v3", "v4", "v5"] {
        cli.ok(&["user", "add", name, "--password-stdin"], Some(PASSWORD));
        cli.ok(&["community", "join", "web", "--user", name], None);
    }

    // Watching registers the root; nothing is scanned without patterns.
    let watched = cli.run(&["scan", "--watch", &code], None);
    assert!(watched.status.success());
    assert!(String::from_utf8_lossy(&watched.stderr).contains("watching "));
    let alerts = cli.json(&["notifications"]);
    assert_eq!(alerts["scan_roots"].as_array().expect("roots").len(), 1);
    assert_eq!(alerts["notifications"], serde_json::json!([]));

    // An anonymous security pattern: moderators can look up its author, and
    // each lookup is audited.
    let submitted = cli.json(&[
        "pattern",
        "submit",
        &format!("{file}:3-10"),
        "--community",
        "web",
        "--title",
        "LIKE query by concatenation",
        "--property",
        "category=sql-injection",
        "--property",
        "security=high",
        "--anonymous",
        "--user",
        "alice",
    ]);
    let id = submitted["id"].as_str().expect("id").to_owned();
    let author = cli.json(&["pattern", "author", &id[..12], "--community", "web"]);
    assert_eq!(author["author"], "alice");
    cli.fails(
        &[
            "pattern",
            "author",
            &id,
            "--community",
            "web",
            "--user",
            "bob",
        ],
        None,
        "only moderators",
    );

    // Accepting it re-scans the watched root and names the place.
    for voter in ["v1", "v2", "v3", "v4", "v5"] {
        cli.ok(
            &[
                "pattern",
                "vote",
                &id,
                "--community",
                "web",
                "--user",
                voter,
            ],
            None,
        );
    }
    cli.ok(&["community", "role", "web", "v1", "expert"], None);
    let accepted = cli.json(&[
        "pattern",
        "approve",
        &id,
        "--community",
        "web",
        "--user",
        "v1",
    ]);
    assert_eq!(accepted["state"], "accepted");
    let alerts = cli.json(&["notifications"]);
    let places = &alerts["notifications"][0]["places"];
    assert_eq!(
        alerts["notifications"][0]["pattern"],
        id.as_str(),
        "{alerts}"
    );
    assert!(
        places[0]["file"]
            .as_str()
            .expect("file")
            .ends_with("search.py"),
        "{alerts}"
    );
    assert_eq!(
        (
            places[0]["first_line"].as_u64(),
            places[0]["last_line"].as_u64()
        ),
        (Some(3), Some(9)),
        "{alerts}"
    );
    let text = cli.ok(&["notifications"], None);
    assert!(text.contains("search.py:3-9"), "{text}");

    // Opted in, a community scan reports how often each pattern matched.
    std::fs::write(
        cli.data_dir().join("commons.toml"),
        "report_match_counts = [\"web\"]\n",
    )
    .expect("config");
    let scan = cli.json(&["scan", &code, "--community", "web", "--user", "bob"]);
    assert!(!scan["findings"].as_array().expect("findings").is_empty());
    let shown = cli.json(&["pattern", "show", &id, "--community", "web"]);
    assert_eq!(shown["match_counts"]["total"], 1, "{shown}");
    assert_eq!(shown["match_counts"]["reporters"], 1, "{shown}");

    // After a rotation, patterns of both epochs still match.
    cli.fails(
        &[
            "pattern",
            "rotate-key",
            "--community",
            "web",
            "--user",
            "bob",
        ],
        None,
        "needs the admin role",
    );
    let rotated = cli.json(&["pattern", "rotate-key", "--community", "web"]);
    assert_eq!(rotated["epoch"], 1);
    let key = cli.json(&["pattern", "key", "--community", "web", "--user", "bob"]);
    assert_eq!(key["epoch"], 1);
    let again = cli.json(&["scan", &code, "--community", "web", "--user", "bob"]);
    assert_eq!(again["findings"], scan["findings"]);

    // Bad input.
    cli.fails(
        &["notifications", "--limit", "0"],
        None,
        "--limit must be at least 1",
    );
    cli.fails(
        &["scan", "--unwatch", cli.dir.path().to_str().expect("utf-8")],
        None,
        "is not a watched scan root",
    );
    cli.fails(
        &["scan", "--watch", &format!("{code}/missing")],
        None,
        "does not exist",
    );
    cli.ok(&["scan", "--unwatch", &code], None);
    let alerts = cli.json(&["notifications"]);
    assert_eq!(alerts["scan_roots"], serde_json::json!([]));
}

#[test]
fn the_reference_corpus_gates_abstract_and_submit() {
    let cli = Cli::new();
    let public = cli.dir.path().join("public");
    let other = cli.dir.path().join("other");
    std::fs::create_dir_all(&public).expect("mkdir");
    std::fs::create_dir_all(&other).expect("mkdir");
    // The code is public: two projects carry it.
    std::fs::write(public.join("a.py"), LIKE_QUERY).expect("write");
    std::fs::write(public.join("b.py"), format!("import re\n{LIKE_QUERY}")).expect("write");
    std::fs::write(public.join("notes.txt"), "not code").expect("write");
    std::fs::write(
        other.join("c.py"),
        "def total(xs):\n    s = 0\n    for x in xs:\n        s += x * x\n    return s\n",
    )
    .expect("write");
    std::fs::write(
        other.join("d.py"),
        "def total(xs):\n    s = 0\n    for x in xs:\n        s += x * x\n    return s\n",
    )
    .expect("write");
    let mine = cli.dir.path().join("mine.py");
    std::fs::write(&mine, LIKE_QUERY).expect("write");
    let mine = mine.to_str().expect("utf-8");

    // Without a corpus the output says so; with an unrelated one it passes.
    let text = cli.ok(&["pattern", "abstract", mine], None);
    assert!(text.contains("no reference corpus"), "{text}");
    let built = cli.json(&["pattern", "corpus", other.to_str().expect("utf-8")]);
    assert_eq!(built["documents"]["python"], 2, "{built}");
    let text = cli.ok(&["pattern", "abstract", mine], None);
    assert!(
        text.contains("checked against a reference corpus of 2 public python files"),
        "{text}"
    );

    // Code found in public projects is refused, on abstract and on submit.
    let built = cli.json(&["pattern", "corpus", public.to_str().expect("utf-8")]);
    assert_eq!(built["documents"]["python"], 2, "{built}");
    cli.fails(&["pattern", "abstract", mine], None, "uninformative");
    cli.fails(
        &[
            "pattern",
            "submit",
            mine,
            "--community",
            "web",
            "--title",
            "public code",
            "--property",
            "category=sql-injection",
        ],
        None,
        "uninformative",
    );

    // Bad input.
    cli.fails(
        &[
            "pattern",
            "corpus",
            &format!("{}/missing", public.display()),
        ],
        None,
        "does not exist",
    );
    let empty = cli.dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    cli.fails(
        &["pattern", "corpus", empty.to_str().expect("utf-8")],
        None,
        "no supported source files",
    );
    std::fs::write(cli.data_dir().join("reference.corpus"), "garbage").expect("write");
    cli.fails(&["pattern", "abstract", mine], None, "is damaged");
}

#[test]
fn pattern_bad_input_is_a_clear_error() {
    let cli = Cli::new();
    let file = cli.dir.path().join("q.py");
    std::fs::write(&file, LIKE_QUERY).expect("write");
    let file = file.to_str().expect("utf-8").to_owned();
    cli.ok(
        &["user", "add", "mallory", "--password-stdin"],
        Some(PASSWORD),
    );
    let submit = |extra: &[&str]| {
        let mut args = vec![
            "pattern",
            "submit",
            file.as_str(),
            "--community",
            "web",
            "--title",
            "t",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let fails = |args: Vec<String>, message: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli.fails(&args, None, message);
    };
    fails(submit(&[]), "--property category=… is required");
    fails(
        submit(&["--property", "colour=red"]),
        "--property colour: unknown property",
    );
    fails(
        submit(&["--property", "category=SQL"]),
        "--property category:",
    );
    fails(
        submit(&["--property", "category=x", "--property", "severity=doom"]),
        "unknown severity \"doom\"",
    );
    fails(
        submit(&["--property", "category=x", "--user", "mallory"]),
        "only members of web receive its pattern key",
    );
    cli.fails(
        &[
            "pattern",
            "vote",
            "abcdef",
            "--community",
            "web",
            "--user",
            "mallory",
        ],
        None,
        "pattern abcdef not found",
    );
    cli.fails(
        &["pattern", "list", "--community", "web", "--state", "lost"],
        None,
        "unknown state \"lost\"",
    );
    cli.fails(
        &["pattern", "list", "--community", "nowhere"],
        None,
        "community nowhere not found",
    );
    cli.fails(
        &["scan", ".", "--community", "web", "--user", "mallory"],
        None,
        "cannot load the pattern library of web",
    );
}

fn stix_bundle(pattern: &str, created: &str) -> String {
    serde_json::json!({
        "type": "bundle",
        "id": "bundle--6f6a0f3e-1f4b-4b8e-9a55-3a1c2f1d2e3f",
        "objects": [{
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": created,
            "modified": created,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        }]
    })
    .to_string()
}

#[test]
fn intel_publish_with_the_node_stopped_and_running() {
    let cli = Cli::new();
    let file = cli.dir.path().join("bundle.json");
    std::fs::write(
        &file,
        stix_bundle(
            "[ipv4-addr:value = '198.51.100.7']",
            "2026-01-01T00:00:00.000Z",
        ),
    )
    .expect("write bundle");
    let path = file.to_str().expect("utf-8");
    let reply = cli.json(&["intel", "publish", path, "--community", "security"]);
    assert_eq!(reply["added"], 1);

    std::fs::write(&file, stix_bundle("[ipv4-addr:value = ", "not a time")).expect("write");
    cli.fails(
        &["intel", "publish", path, "--community", "security"],
        None,
        "/objects/0/pattern",
    );
    cli.fails(
        &["intel", "publish", path, "--community", "security"],
        None,
        "/objects/0/created",
    );
    std::fs::write(&file, "{ not json").expect("write");
    cli.fails(
        &["intel", "publish", path, "--community", "security"],
        None,
        "is not JSON",
    );
    cli.fails(
        &[
            "intel",
            "publish",
            "/nonexistent.json",
            "--community",
            "security",
        ],
        None,
        "cannot read /nonexistent.json",
    );

    let server = cli.serve();
    std::fs::write(
        &file,
        stix_bundle(
            "[domain-name:value = 'evil.example']",
            "2026-02-01T00:00:00.000Z",
        ),
    )
    .expect("write bundle");
    let out = cli.ok(&["intel", "publish", path, "--community", "security"], None);
    assert!(out.contains("published 1 object(s) to security"), "{out}");
    cli.fails(
        &["intel", "publish", path, "--community", "nowhere"],
        None,
        "nowhere not found",
    );
    server.stop();
}

impl Cli {
    /// Serves with p2p on loopback; returns the server and its p2p address.
    fn serve_p2p(&self, peers: &[&str]) -> (Server, String) {
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--p2p-listen",
            "/ip4/127.0.0.1/tcp/0",
        ];
        for peer in peers {
            args.extend(["--peer", peer]);
        }
        let mut child = self
            .command(&args)
            .env("COMMONS_DEFAULT_COMMUNITIES", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut p2p = None;
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("server printed its address")
                .expect("read line");
            if let Some(addr) = line.strip_prefix("p2p listening on ") {
                p2p = Some(addr.to_owned());
            }
            if let Some(address) = line.strip_prefix("listening on ") {
                break address.to_owned();
            }
        };
        (
            Server { child, address },
            p2p.expect("the server printed its p2p address"),
        )
    }
}

#[test]
fn two_nodes_replicate_over_p2p() {
    let home = Cli::new();
    // The home node hosts the domain communities; its follower does not.
    home.ok(&["user", "list"], None);
    let (home_server, home_addr) = home.serve_p2p(&[]);
    let communities = home.json(&["community", "list"]);
    let web = communities
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "web")
        .expect("web")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let info = home.json(&["node", "info"]);
    assert!(home_addr.ends_with(info["peer_id"].as_str().expect("peer id")));
    assert_eq!(info["listen"][0].as_str(), Some(home_addr.as_str()));

    let follower = Cli::new();
    let output = follower
        .command(&["community", "follow", &web])
        .env("COMMONS_DEFAULT_COMMUNITIES", "false")
        .output()
        .expect("follow");
    assert!(output.status.success(), "{output:?}");
    let (follower_server, _) = follower.serve_p2p(&[&home_addr]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let row = loop {
        let status = follower.json(&["sync", "status"]);
        let row = status
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["community"] == web.as_str())
            .cloned()
            .expect("the followed community is listed");
        if row["local_seq"].as_u64() >= Some(1) && row["lag"] == 0 {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "no catch-up: {row}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(row["name"], "web");
    assert_eq!(row["outbox"], 0);
    assert_eq!(row["last_error"], Value::Null);
    let peers = follower.json(&["peers"]);
    assert_eq!(
        peers[0]["peer_id"].as_str(),
        info["peer_id"].as_str(),
        "{peers}"
    );
    let verify = follower.json(&["verify", "--community", &web]);
    assert_eq!(verify[0]["ok"], true, "{verify}");
    let metrics = http_get(
        follower_server.address.trim_start_matches("http://"),
        "/metrics",
    );
    assert!(metrics.contains("commons_sync_peers 1"), "{metrics}");
    assert!(
        metrics.contains("commons_sync_total{event=\"entries_applied\"} "),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("commons_sync_lag{{community=\"{web}\"}} 0")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("commons_sync_outbox{{community=\"{web}\"}} 0")),
        "{metrics}"
    );
    follower_server.stop();
    home_server.stop();
    // Stopped, the identity is still known; the network is not running.
    let info = home.json(&["node", "info"]);
    assert_eq!(info["running"], false);
    assert!(
        info["peer_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("12D3"))
    );
}

#[test]
fn bad_p2p_addresses_are_clear_errors() {
    let cli = Cli::new();
    cli.fails(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--p2p-listen",
            "nonsense",
        ],
        None,
        "invalid --p2p-listen address \"nonsense\"",
    );
    cli.fails(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--peer",
            "/ip4/1.2.3.4/tcp/nope",
        ],
        None,
        "invalid --peer address",
    );
}

/// A plain HTTP/1.0 GET, returning the body.
fn http_get(address: &str, path: &str) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[test]
fn writes_away_from_home_are_pending_until_the_home_node_has_them() {
    let home = Cli::new();
    home.ok(&["user", "list"], None);
    let (home_server, home_addr) = home.serve_p2p(&[]);
    let web = home
        .json(&["community", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "web")
        .expect("web")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let follower = Cli::new();
    let output = follower
        .command(&["community", "follow", &web])
        .env("COMMONS_DEFAULT_COMMUNITIES", "false")
        .output()
        .expect("follow");
    assert!(output.status.success(), "{output:?}");
    let sync_row = |cli: &Cli| {
        cli.json(&["sync", "status"])
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["community"] == web.as_str())
            .cloned()
            .expect("the followed community is listed")
    };
    let wait_for = |cli: &Cli, done: &dyn Fn(&Value) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let row = sync_row(cli);
            if done(&row) {
                return row;
            }
            assert!(std::time::Instant::now() < deadline, "not yet: {row}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let (follower_server, _) = follower.serve_p2p(&[&home_addr]);
    let caught_up = wait_for(&follower, &|row| {
        row["local_seq"].as_u64() >= Some(1) && row["lag"] == 0
    });
    follower_server.stop();

    // With the follower stopped, bob joins and invites carol there.
    for name in ["bob", "carol"] {
        follower.ok(&["user", "add", name, "--password-stdin"], Some(PASSWORD));
    }
    follower.ok(&["community", "join", &web, "--user", "bob"], None);
    let invited = follower.ok(
        &["community", "invite", &web, "carol", "--user", "bob"],
        None,
    );
    assert!(invited.starts_with("pending "), "{invited}");
    assert!(invited.contains("queued for the home node"), "{invited}");
    // A change the home node would refuse is refused at once, not queued.
    follower.fails(
        &["community", "role", &web, "carol", "admin", "--user", "bob"],
        None,
        "not accepted",
    );
    let row = sync_row(&follower);
    assert_eq!(row["outbox"], 2, "{row}");
    let kinds: Vec<&str> = row["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .map(|p| p["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["community.join", "community.invite"]);
    let text = follower.ok(&["sync", "status"], None);
    assert!(text.contains("PENDING RECORD"), "{text}");
    assert!(text.contains("community.invite"), "{text}");
    let log = follower.ok(&["log", "show", &web], None);
    assert!(log.contains("pending\tcommunity.join"), "{log}");
    assert!(log.contains("pending\tcommunity.invite"), "{log}");

    // Started again, the follower forwards both; they come back once.
    let (follower_server, _) = follower.serve_p2p(&[&home_addr]);
    let local = caught_up["local_seq"].as_u64().expect("seq");
    let row = wait_for(&follower, &|row| {
        row["outbox"] == 0 && row["local_seq"].as_u64() >= Some(local + 2)
    });
    assert_eq!(row["local_seq"].as_u64(), Some(local + 2), "{row}");
    let log = home.json(&["log", "show", &web]);
    let kinds: Vec<&str> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "community.invite").count(),
        1,
        "{log}"
    );
    // Discovery: the followed community counts only when asked for, and
    // says where it comes from.
    let home_key = home.json(&["node", "info"])["node_key"]
        .as_str()
        .expect("node key")
        .to_owned();
    assert_eq!(
        follower
            .ok(&["discover", "web", "--user", "carol"], None)
            .trim(),
        "nothing found"
    );
    let found = follower.ok(&["discover", "web", "--followed", "--user", "carol"], None);
    assert!(
        found.contains(&format!("followed, home node {home_key}")),
        "{found}"
    );
    let found = follower.json(&["discover", "web", "--followed", "--user", "bob"]);
    assert_eq!(found[0]["origin"], "joined", "{found}");
    follower.fails(&["discover", " "], None, "at least one word");
    follower_server.stop();
    home_server.stop();
}

#[test]
fn a_community_moves_home_through_the_cli() {
    let old = Cli::new();
    old.ok(&["user", "list"], None);
    old.ok(
        &["user", "add", "carol", "--password-stdin"],
        Some(PASSWORD),
    );
    let new = Cli::new();
    new.ok(&["user", "list"], None);
    let new_key = new.json(&["node", "info"])["node_key"]
        .as_str()
        .expect("node key")
        .to_owned();
    let web = old
        .json(&["community", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "web")
        .expect("web")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let key_file = old.data_dir().join("web.key");
    let key_out = key_file.to_str().expect("utf-8 path");
    old.fails(
        &[
            "community",
            "move-home",
            "web",
            "not-a-key",
            "--key-out",
            key_out,
        ],
        None,
        "node key",
    );
    assert!(!key_file.exists(), "a refused move leaves no key file");
    std::fs::write(&key_file, "").expect("write");
    old.fails(
        &[
            "community",
            "move-home",
            "web",
            &new_key,
            "--key-out",
            key_out,
        ],
        None,
        "must not exist",
    );
    std::fs::remove_file(&key_file).expect("remove");
    old.fails(
        &[
            "community",
            "move-home",
            "web",
            &new_key,
            "--key-out",
            key_out,
            "--user",
            "carol",
        ],
        None,
        "only an admin",
    );
    let moved = old.json(&[
        "community",
        "move-home",
        "web",
        &new_key,
        "--key-out",
        key_out,
    ]);
    assert_eq!(moved["home"], new_key.as_str(), "{moved}");
    assert!(
        moved.get("community_key").is_none(),
        "the key is not printed"
    );
    let key = std::fs::read_to_string(&key_file).expect("key file");
    assert_eq!(key.trim().len(), 64);
    // The old home no longer appends: its writes are pending.
    let pending = old.ok(&["community", "invite", "web", "carol"], None);
    assert!(pending.starts_with("pending "), "{pending}");

    // The new home adopts the key once the log is there, and then appends
    // what waited for it.
    new.fails(&["community", "adopt", key_out], None, "follow it");
    let (old_server, old_addr) = old.serve_p2p(&[]);
    new.ok(&["community", "follow", &web], None);
    let (new_server, _) = new.serve_p2p(&[&old_addr]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = new.json(&["sync", "status"]);
        let arrived = status.as_array().expect("rows").iter().any(|row| {
            row["community"] == web.as_str()
                && row["local_seq"].as_u64() > Some(0)
                && row["lag"] == 0
        });
        if arrived {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no catch-up: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    new.ok(&["community", "adopt", key_out], None);
    loop {
        let status = old.json(&["sync", "status"]);
        let row = status
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["community"] == web.as_str())
            .cloned()
            .expect("web");
        if row["outbox"] == 0 && row["lag"] == 0 {
            assert_eq!(row["is_home"], false, "{row}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not delivered: {row}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let listed = new.json(&["community", "list"]);
    let row = listed
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["id"] == web.as_str())
        .cloned()
        .expect("web listed");
    assert_eq!(row["is_home"], true, "{row}");
    let log = new.json(&["log", "show", &web]);
    let kinds: Vec<&str> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"community.home"), "{log}");
    assert_eq!(kinds.last(), Some(&"community.invite"), "{log}");
    new_server.stop();
    old_server.stop();
}

#[test]
fn blobs_are_added_and_fetched_from_peers_by_hash() {
    let home = Cli::new();
    home.ok(&["user", "list"], None);
    let web = home
        .json(&["community", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "web")
        .expect("web")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let file = home.data_dir().join("capture.bin");
    let bytes: Vec<u8> = (0..600_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &bytes).expect("write");
    let id = home.ok(&["blob", "add", "web", file.to_str().expect("path")], None);
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let (home_server, home_addr) = home.serve_p2p(&[]);

    let reader = Cli::new();
    let output = reader
        .command(&["community", "follow", &web])
        .env("COMMONS_DEFAULT_COMMUNITIES", "false")
        .output()
        .expect("follow");
    assert!(output.status.success(), "{output:?}");
    let out = reader.data_dir().join("copy.bin");
    let out = out.to_str().expect("path").to_owned();
    // Before the community's log is here, it is unknown.
    reader.fails(
        &["blob", "get", &web, &id, "--out", &out],
        None,
        "not found",
    );
    let (reader_server, _) = reader.serve_p2p(&[&home_addr]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = reader.json(&["sync", "status"]);
        let arrived = status
            .as_array()
            .expect("rows")
            .iter()
            .any(|row| row["community"] == web.as_str() && row["local_seq"].as_u64() > Some(0));
        if arrived {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no catch-up: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    reader.fails(
        &["blob", "get", &web, "beef", "--out", &out],
        None,
        "64 hex",
    );
    // Stopped, the node cannot fetch what it lacks.
    reader_server.stop();
    reader.fails(
        &["blob", "get", &web, &id, "--out", &out],
        None,
        "not running",
    );
    let (reader_server, _) = reader.serve_p2p(&[&home_addr]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while reader.json(&["peers"]).as_array().is_none_or(Vec::is_empty) {
        assert!(std::time::Instant::now() < deadline, "no peer");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let wrote = reader.ok(&["blob", "get", &web, &id, "--out", &out], None);
    assert!(wrote.starts_with("wrote 600000 bytes"), "{wrote}");
    assert_eq!(std::fs::read(&out).expect("copy"), bytes);
    reader.fails(
        &["blob", "get", &web, &id, "--out", &out],
        None,
        "must not exist",
    );
    reader_server.stop();
    home_server.stop();
}
