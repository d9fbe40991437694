//! The same input gives the same fingerprint from one build to the next.
//!
//! Every hash of a fingerprint is compared across machines and releases, so
//! a change to the engine that alters any of them (a token, a code, the gram
//! hash, the winnowing) is a format change: it must bump
//! `NORMALIZER_VERSION` (or `FORMAT_VERSION`) and then update the digests
//! below. A change meant only to be faster must leave them as they are.

use commons_fingerprint::{Config, Fingerprint, Language, fingerprint};

/// A source per language touching what the normalizer distinguishes:
/// imports, vocabulary names in global and member position, bound globals,
/// keyword arguments, literals, interpolations, operators, comments and a
/// syntax error.
const SOURCES: [(Language, &str); 10] = [
    (
        Language::Python,
        r#"import hashlib, subprocess
from json import loads
def handle(request, type=None):  # `type` is bound here
    data = loads(request.body)
    for key, value in data.items():
        cur = db.cursor()
        cur.execute("SELECT * FROM t WHERE k = " + key, timeout=3.5)
    print(f"{value!r:>{width}} done", type)
    subprocess.run(data["cmd"], shell=True)
    return hashlib.md5(data).hexdigest() if data is not None else [x ** 2 for x in range(10)]
def broken(:
    return eval(payload
"#,
    ),
    (
        Language::JavaScript,
        r#"import { readFile } from "fs";
async function show(req, res) {
  const id = req.query.id; // from the URL
  const rows = await db.query(`SELECT * FROM t WHERE id = ${id}`);
  document.getElementById("out").innerHTML = rows.map((r) => r.name).join(", ");
  return res.json({ ok: true, count: rows.length, ratio: 0.5 / rows.length });
}
"#,
    ),
    (
        Language::TypeScript,
        r#"import { Request } from "express";
export class Store<T> {
  private items: Map<string, T> = new Map();
  get(req: Request, key: string): T | undefined {
    const value = this.items.get(key) ?? null;
    return value === null ? undefined : value as T;
  }
}
"#,
    ),
    (
        Language::Tsx,
        r#"import React from "react";
export function Row({ user }: { user: User }) {
  const label = `${user.first} ${user.last}`;
  return <div className="row" onClick={() => alert(label)}>{label}</div>;
}
"#,
    ),
    (
        Language::Rust,
        r#"use std::collections::HashMap;
fn count(words: &[&str]) -> HashMap<String, usize> {
    let mut counts = HashMap::new(); // per word
    for word in words.iter() {
        *counts.entry(word.to_string()).or_insert(0) += 1;
    }
    println!("{} words, {:.2}", counts.len(), 1.5f64);
    counts
}
"#,
    ),
    (
        Language::Go,
        r#"package main

import ("fmt"; "os/exec")

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil { return fmt.Errorf("run %s: %w", name, err) }
	fmt.Println(string(out), 'x', 0x1f)
	return nil
}
"#,
    ),
    (
        Language::Java,
        r#"import java.sql.Statement;
class Users {
    String find(Statement stmt, String id) throws Exception {
        var rs = stmt.executeQuery("SELECT * FROM users WHERE id = " + id);
        for (int i = 0; i < 10; i++) { System.out.println(rs.getString(i)); }
        return rs.next() ? rs.getString("name") : null;
    }
}
"#,
    ),
    (
        Language::C,
        r#"#include <string.h>
#include "local.h"
int copy(char *dst, const char *src, size_t n) {
    char buffer[16]; /* too small */
    strcpy(buffer, src);
    for (size_t i = 0; i < n; i++) dst[i] = buffer[i] ^ 'a';
    return sprintf(dst, "%s %d", buffer, 42) > 0 ? 0 : -1;
}
"#,
    ),
    (
        Language::Cpp,
        r#"#include <vector>
namespace app {
template <typename T> T sum(const std::vector<T>& xs) {
    T total{};
    for (const auto& x : xs) total += x;
    auto s = std::to_string(total) + u8"units"_sv;
    return total * 2.0;
}
}
"#,
    ),
    (
        Language::CSharp,
        r#"using System.Diagnostics;
class Runner {
    public int Run(string file, int tries = 3) {
        var p = Process.Start("sh", $"-c {file} --tries={tries:D2}");
        p.WaitForExit();
        return p.ExitCode == 0 ? 0 : @"failed".Length;
    }
}
"#,
    ),
];

/// A digest of everything a fingerprint holds.
fn digest(fingerprint: &Fingerprint) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(format!("{:?}", fingerprint.scheme).as_bytes());
    hasher.update(&fingerprint.token_count.to_le_bytes());
    hasher.update(&[u8::from(fingerprint.syntax_errors)]);
    for gram in &fingerprint.grams {
        hasher.update(&gram.hash.to_le_bytes());
        hasher.update(&gram.start.to_le_bytes());
    }
    for line in &fingerprint.lines {
        hasher.update(&line.to_le_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// The digests of every source's fingerprint under `config`, one line each.
fn digests(config: &Config) -> String {
    SOURCES
        .iter()
        .map(|(language, source)| {
            let fingerprint =
                fingerprint(*language, source.as_bytes(), config).expect("the sources fingerprint");
            format!("{language} {}\n", digest(&fingerprint))
        })
        .collect()
}

#[test]
fn default_fingerprints_are_unchanged() {
    assert_eq!(
        digests(&Config::default()),
        "python 6d8b588b3fc7b891\njavascript b5a28a2d77adc2c2\ntypescript 4a6b9989f7e91d1d\n\
         tsx f35d131dc291c050\nrust add479e83a89c17b\ngo 7817d3bad65a3cf4\n\
         java 1d759a80d3ce9c29\nc 4020fad3acbc03a4\ncpp 0205b268c647233b\n\
         csharp 5602326fa9a7ad4c\n"
    );
}

/// Short grams and every one of them kept: each token's code and each name
/// link reaches a hash.
#[test]
fn every_gram_of_short_grams_is_unchanged() {
    let config = Config {
        k: 3,
        window: 1,
        ..Config::default()
    };
    assert_eq!(
        digests(&config),
        "python 46197400fa06fceb\njavascript 360c60d22a34aae9\ntypescript f53403847b4571b8\n\
         tsx 87325a98ae3af895\nrust da24e477a767ac0e\ngo 443a9ce0a792ec86\n\
         java f36ec06e155f39c6\nc 66b6f5d13cc29e1d\ncpp 96ddcef2827c6da0\n\
         csharp 2557923821be5d00\n"
    );
}
