//! SARIF 2.1.0 output: one run, one rule per pattern, one result per match.

use serde_json::{Value, json};

use super::Finding;
use crate::cmd::pattern::{PatternFile, Severity};

/// The schema the output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log for `findings` of `patterns`.
pub fn report(findings: &[Finding], patterns: &[PatternFile]) -> Value {
    let rules: Vec<Value> = patterns
        .iter()
        .enumerate()
        .map(|(idx, pattern)| {
            json!({
                "id": rule_id(idx),
                "name": pattern.title,
                "shortDescription": { "text": pattern.title },
                "defaultConfiguration": { "level": level(pattern.severity) },
                "properties": { "severity": pattern.severity, "language": pattern.language },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let rule_index = patterns
                .iter()
                .position(|pattern| pattern.title == finding.pattern)
                .unwrap_or(0);
            json!({
                "ruleId": rule_id(rule_index),
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": {
                    "text": format!(
                        "matches pattern \"{}\" ({:.0}% of its fingerprint)",
                        finding.pattern,
                        finding.similarity * 100.0
                    )
                },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": finding.file.replace('\\', "/") },
                        "region": { "startLine": finding.first_line, "endLine": finding.last_line },
                    }
                }],
                "properties": { "similarity": finding.similarity },
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "commons",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/commons-project/commons",
                    "rules": rules,
                }
            },
            "results": results,
        }],
    })
}

fn rule_id(idx: usize) -> String {
    format!("commons-pattern-{}", idx + 1)
}

/// SARIF has three levels; critical and high are errors.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}
