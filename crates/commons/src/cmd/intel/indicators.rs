//! Indicators for a scan: STIX `indicator` objects read from bundles,
//! scored, and split between the compiled indexes of `commons-flows` (the
//! simple shapes most feeds use) and the STIX evaluator (everything else).
//!
//! A pattern is *simple* when it is one `[…]` of `OR`ed, un-negated tests
//! of these shapes, each of which an index answers exactly as the
//! evaluator would, with one deliberate widening taken from the issue
//! (domains match their subdomains, as Zeek's intel framework and most IDS
//! feeds do):
//!
//! | test | index |
//! |---|---|
//! | `ipv4-addr:value = 'a.b.c.d'`, `ipv6-addr:value = '…'` (or `IN`) | address |
//! | `ipv4-addr:value ISSUBSET 'net/n'`, likewise IPv6 | CIDR block |
//! | `domain-name:value = 'name'` | domain and subdomains |
//! | `url:value = 'http://…'` | URL |
//! | `file:hashes.'SHA-256' = '…'` (any algorithm), `x509-certificate:hashes.…` | hash |
//! | `network-traffic:dst_port = n`, `network-traffic:src_port = n` | port, on that side |
//!
//! Everything else goes to the evaluator: single-observation patterns are
//! tried on each event's observation, patterns over several observations
//! on all of them at the end.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::bail;
use commons_flows::IndicatorKind as FlowKind;
use commons_stix::confidence::{ConfidenceModel, IndicatorFacts, IndicatorKind, Status};
use commons_stix::pattern::{ComparisonExpr, Literal, ObservationExpr, Operator, PathStep};
use commons_stix::{CompiledPattern, MatcherBuilder, Pattern, Timestamp};
use serde::Serialize;
use serde_json::Value;

use super::{check_stix, eval};

/// The standing a bundle's indicator gets when it states no `confidence`.
const UNSTATED_CONFIDENCE: u8 = 50;

/// One usable indicator.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The STIX id, `indicator--…`.
    pub id: String,
    /// Its `name`, if any.
    pub name: Option<String>,
    /// The pattern as written.
    pub pattern: String,
    /// `indicator_types`, for the threat score.
    pub types: Vec<String>,
    /// Confidence now, 0–100 (see `confidence()`).
    pub confidence: u8,
    /// For port indicators from `dst_port` or `src_port`: the side that
    /// must match.
    pub port_side: Option<PortSide>,
}

/// Which side of a flow a port indicator is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSide {
    /// `src_port`.
    Src,
    /// `dst_port`.
    Dst,
}

/// Everything loaded, compiled for matching.
pub struct Compiled {
    /// Indexed by the `u32` ids used in both matchers.
    pub indicators: Vec<Loaded>,
    /// The simple patterns.
    pub set: commons_flows::IndicatorSet,
    /// Single-observation patterns the indexes cannot answer.
    pub evaluated: commons_stix::Matcher,
    /// The indicator number of each of `evaluated`'s patterns, which it
    /// numbers 0, 1, … in the order they were added.
    pub stix_ids: Vec<u32>,
    /// The object types each of `evaluated`'s patterns tests, to pick the
    /// value an alert shows.
    pub stix_types: Vec<Vec<String>>,
    /// Patterns over several observations, with their indicator numbers.
    pub multi: Vec<(u32, CompiledPattern)>,
    /// What was loaded and what was left out.
    pub stats: LoadStats,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadStats {
    /// Indicators that will match.
    pub active: usize,
    /// Of those, answered by the compiled indexes.
    pub indexed: usize,
    /// Of those, evaluated per observation.
    pub evaluated: usize,
    /// Of those, evaluated over all observations.
    pub multi_observation: usize,
    /// Left out because they are revoked.
    pub revoked: usize,
    /// Left out because `valid_until` has passed or `valid_from` has not come.
    pub expired: usize,
    /// Left out because their confidence fell below the threshold.
    pub below_threshold: usize,
    /// Left out because their `pattern_type` is not `stix`.
    pub other_pattern_type: usize,
    /// Values the indexes refused (with the indicator id), e.g. a prefix
    /// longer than the address.
    pub rejected: Vec<String>,
}

/// Options for loading.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Unix seconds at which validity and confidence are judged.
    pub now: i64,
    /// Keep indicators that are expired, revoked or below the threshold.
    pub include_inactive: bool,
}

/// Validates every source (a label for messages, such as the file it came
/// from, and its STIX JSON) and compiles their indicators.
pub fn load(sources: &[(String, Value)], options: LoadOptions) -> anyhow::Result<Compiled> {
    let mut candidates = Vec::new();
    for (label, value) in sources {
        check_stix(value, label)?;
        collect(value, label, &mut candidates)?;
    }
    compile(candidates, options)
}

/// One indicator object before scoring: its pattern parsed.
struct Candidate {
    object: Value,
    pattern: Option<Pattern>,
}

fn collect(value: &Value, label: &str, out: &mut Vec<Candidate>) -> anyhow::Result<()> {
    let objects: &[Value] = match value {
        Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("bundle") => map
            .get("objects")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice),
        Value::Array(items) => items,
        Value::Object(_) => std::slice::from_ref(value),
        _ => bail!("{label}: expected a STIX bundle, an object or a list of objects"),
    };
    for object in objects {
        if object.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let pattern = if object.get("pattern_type").and_then(Value::as_str) == Some("stix") {
            let text = object
                .get("pattern")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let id = object.get("id").and_then(Value::as_str).unwrap_or("?");
            Some(
                eval::parse(text)
                    .map_err(|error| anyhow::anyhow!("{label}: indicator {id}: {error:#}"))?,
            )
        } else {
            None
        };
        out.push(Candidate {
            object: object.clone(),
            pattern,
        });
    }
    Ok(())
}

fn compile(candidates: Vec<Candidate>, options: LoadOptions) -> anyhow::Result<Compiled> {
    let model = ConfidenceModel::default();
    let mut stats = LoadStats::default();
    let mut indicators = Vec::new();
    let mut flow_indicators = Vec::new();
    let mut builder = MatcherBuilder::new();
    let mut stix_ids = Vec::new();
    let mut stix_types = Vec::new();
    let mut multi = Vec::new();
    for candidate in candidates {
        let Some(pattern) = candidate.pattern else {
            stats.other_pattern_type += 1;
            continue;
        };
        let object = &candidate.object;
        let (confidence, status) = score(&model, object, &pattern, options.now);
        match status {
            Status::Active => {}
            _ if options.include_inactive => {}
            Status::Revoked => {
                stats.revoked += 1;
                continue;
            }
            Status::Expired => {
                stats.expired += 1;
                continue;
            }
            Status::BelowThreshold => {
                stats.below_threshold += 1;
                continue;
            }
        }
        let number = u32::try_from(indicators.len())
            .ok()
            .filter(|number| *number < u32::MAX >> 1);
        let Some(number) = number else {
            bail!("more than 2^31 indicators; split the bundle");
        };
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
        let mut loaded = Loaded {
            id: text("id").unwrap_or_default(),
            name: text("name"),
            pattern: text("pattern").unwrap_or_default(),
            types: object
                .get("indicator_types")
                .and_then(Value::as_array)
                .map(|types| {
                    types
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            confidence,
            port_side: None,
        };
        stats.active += 1;
        match simple(&pattern) {
            Some(kinds) => {
                stats.indexed += 1;
                for (kind, side) in kinds {
                    loaded.port_side = loaded.port_side.or(side);
                    flow_indicators.push(commons_flows::Indicator { id: number, kind });
                }
            }
            None => {
                let compiled = CompiledPattern::new(&pattern);
                if compiled.is_single_observation() {
                    stats.evaluated += 1;
                    builder.add(&pattern);
                    stix_ids.push(number);
                    stix_types.push(compiled.object_types());
                } else {
                    stats.multi_observation += 1;
                    multi.push((number, compiled));
                }
            }
        }
        indicators.push(loaded);
    }
    let (set, rejected) = commons_flows::IndicatorSet::build(flow_indicators);
    stats.rejected = rejected
        .into_iter()
        .map(|it| format!("{}: {}", indicators[it.id as usize].id, it.error))
        .collect();
    Ok(Compiled {
        indicators,
        set,
        evaluated: builder.build(),
        stix_ids,
        stix_types,
        multi,
        stats,
    })
}

/// Confidence now and whether the indicator is active, from the documented
/// model of `commons_stix::confidence` with the bundle's `confidence` as
/// the source's standing and `valid_from` as the start of its age.
fn score(model: &ConfidenceModel, object: &Value, pattern: &Pattern, now: i64) -> (u8, Status) {
    let time = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| Timestamp::parse(text).ok())
            .map(|it| it.unix_seconds())
    };
    let stated = object
        .get("confidence")
        .and_then(Value::as_u64)
        .map_or(UNSTATED_CONFIDENCE, |it| it.min(100) as u8);
    let valid_from = time("valid_from").unwrap_or(now);
    let facts = IndicatorFacts {
        standing: f64::from(stated) / 100.0,
        kind: IndicatorKind::of_pattern(pattern),
        reference_time: valid_from.min(now),
        sightings: 0,
        false_positives: 0,
        valid_until: time("valid_until"),
        revoked: object.get("revoked").and_then(Value::as_bool) == Some(true),
    };
    let score = model.score(&facts, now);
    // Not valid yet counts as expired: it must not match either.
    let status = if valid_from > now && score.status == Status::Active {
        Status::Expired
    } else {
        score.status
    };
    (score.confidence, status)
}

/// The index entries of a simple pattern, or `None`.
fn simple(pattern: &Pattern) -> Option<Vec<(FlowKind, Option<PortSide>)>> {
    let ObservationExpr::Observation(comparison) = &pattern.expression else {
        return None;
    };
    let mut kinds = Vec::new();
    simple_terms(comparison, &mut kinds)?;
    // One indicator is one port side at most: mixed sides go to the evaluator.
    let sides: Vec<PortSide> = kinds.iter().filter_map(|(_, side)| *side).collect();
    if sides.windows(2).any(|pair| pair[0] != pair[1]) {
        return None;
    }
    Some(kinds)
}

fn simple_terms(
    comparison: &ComparisonExpr,
    kinds: &mut Vec<(FlowKind, Option<PortSide>)>,
) -> Option<()> {
    let test = match comparison {
        ComparisonExpr::Or(items) => {
            for item in items {
                simple_terms(item, kinds)?;
            }
            return Some(());
        }
        ComparisonExpr::And(_) => return None,
        ComparisonExpr::Test(test) => test,
    };
    if test.negated {
        return None;
    }
    let path = &test.path;
    let keys: Vec<&str> = path
        .steps
        .iter()
        .map(|step| match step {
            PathStep::Key(key) => Some(key.as_str()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let values: Vec<&Literal> = match &test.operator {
        Operator::Eq(literal) => vec![literal],
        Operator::In(items) => items.iter().collect(),
        Operator::IsSubset(net) => {
            if path.property != "value" || !keys.is_empty() {
                return None;
            }
            let kind = cidr(&path.object_type, net)?;
            kinds.push((kind, None));
            return Some(());
        }
        _ => return None,
    };
    for literal in values {
        let kind = match (
            path.object_type.as_str(),
            path.property.as_str(),
            keys.as_slice(),
            literal,
        ) {
            ("ipv4-addr", "value", [], Literal::Str(text)) => {
                (FlowKind::Ipv4(canonical::<Ipv4Addr>(text)?), None)
            }
            ("ipv6-addr", "value", [], Literal::Str(text)) => {
                (FlowKind::Ipv6(canonical::<Ipv6Addr>(text)?), None)
            }
            ("domain-name", "value", [], Literal::Str(text)) => {
                let normal = commons_flows::indicators::normalize_domain(text)?;
                // The index ignores case; the evaluator does not.
                (normal == *text).then_some((FlowKind::Domain(normal), None))?
            }
            ("url", "value", [], Literal::Str(text)) => {
                commons_flows::indicators::normalize_url(text)?;
                (FlowKind::Url(text.clone()), None)
            }
            ("file" | "x509-certificate", "hashes", [_algorithm], Literal::Str(text)) => {
                let normal = commons_flows::indicators::normalize_hash(text)?;
                (normal == *text).then_some((FlowKind::FileHash(normal), None))?
            }
            ("network-traffic", "dst_port", [], Literal::Int(port)) => (
                FlowKind::Port(u16::try_from(*port).ok()?),
                Some(PortSide::Dst),
            ),
            ("network-traffic", "src_port", [], Literal::Int(port)) => (
                FlowKind::Port(u16::try_from(*port).ok()?),
                Some(PortSide::Src),
            ),
            _ => return None,
        };
        kinds.push(kind);
    }
    Some(())
}

/// An address literal that equals the address's own text, so that string
/// equality (the evaluator) and address equality (the index) agree.
fn canonical<T: std::str::FromStr + std::fmt::Display>(text: &str) -> Option<T> {
    let addr: T = text.parse().ok()?;
    (addr.to_string() == text).then_some(addr)
}

fn cidr(object_type: &str, text: &str) -> Option<FlowKind> {
    let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
    let addr: IpAddr = addr.parse().ok()?;
    match (object_type, addr) {
        ("ipv4-addr", IpAddr::V4(v4)) => {
            let prefix = if prefix.is_empty() {
                Some(32)
            } else {
                prefix.parse().ok()
            }?;
            Some(FlowKind::Cidr4(v4, prefix))
        }
        ("ipv6-addr", IpAddr::V6(v6)) => {
            let prefix = if prefix.is_empty() {
                Some(128)
            } else {
                prefix.parse().ok()
            }?;
            Some(FlowKind::Cidr6(v6, prefix))
        }
        _ => None,
    }
}
