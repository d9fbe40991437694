//! Many patterns matched at once: the common indicator shapes compiled into
//! hash and range indexes, everything else evaluated.
//!
//! Most real feeds are `[ipv4-addr:value = '…']`, `[domain-name:value =
//! '…']`, `[url:value = '…']`, `[file:hashes.'SHA-256' = '…']` and
//! `[ipv4-addr:value ISSUBSET '…/n']`, possibly `OR`ed or written with
//! `IN`. A pattern that is one `[…]` made only of such tests (string
//! equality or `ISSUBSET` on a plain property path, not negated, joined by
//! `OR`) is *indexed*: equality goes into a hash map per property path
//! (canonical IPv4 addresses as `u32` keys), `ISSUBSET` into a CIDR range
//! index. Matching an observation then costs a few hash probes and binary
//! searches per object, independent of how many patterns are loaded.
//! Other single-observation patterns are evaluated only against
//! observations holding an object of a type they test. Patterns spanning
//! several observations (`AND`, `FOLLOWEDBY`, qualifiers) need the whole
//! set and are evaluated by [`Matcher::match_observations`].
//!
//! Every path gives the evaluator's answer; a property test checks that.

mod cidr;
mod postings;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::Timestamp;
use crate::evaluate::CompiledPattern;
use crate::net::IpNet;
use crate::observation::Observation;
use crate::pattern::{ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern};
use cidr::{CidrBuilder, CidrIndex};
use postings::{MAX_ID, Postings};

/// A pattern's number in a [`Matcher`]: the order it was added in.
pub type PatternId = u32;

/// One typed value to look up, for callers that extract addresses and
/// names from traffic without building STIX objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observable<'a> {
    /// An `ipv4-addr` with this value.
    Ipv4(Ipv4Addr),
    /// An `ipv6-addr` with this value (written as RFC 5952 text).
    Ipv6(Ipv6Addr),
    /// A `domain-name` with this value.
    DomainName(&'a str),
    /// A `url` with this value.
    Url(&'a str),
    /// An `email-addr` with this value.
    EmailAddr(&'a str),
    /// A `file` whose `hashes` has `algorithm` (e.g. `SHA-256`) = `value`.
    FileHash {
        /// The `hashes` key.
        algorithm: &'a str,
        /// The hash as written in patterns.
        value: &'a str,
    },
}

/// How the loaded patterns are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatcherStats {
    /// Patterns answered from the indexes.
    pub indexed: usize,
    /// Single-observation patterns evaluated per observation.
    pub evaluated: usize,
    /// Patterns over several observations.
    pub multi_observation: usize,
    /// Approximate heap bytes of the indexes.
    pub index_bytes: usize,
}

/// Collects patterns, then builds a [`Matcher`].
#[derive(Default)]
pub struct MatcherBuilder {
    paths: Paths,
    exact: Vec<Postings<Box<str>>>,
    ipv4_value: Postings<u32>,
    cidr_v4: Vec<CidrBuilder<u32>>,
    cidr_v6: Vec<CidrBuilder<u128>>,
    single: Vec<(PatternId, CompiledPattern)>,
    multi: Vec<(PatternId, CompiledPattern)>,
    indexed: usize,
    next_id: u32,
}

/// Patterns compiled for matching.
pub struct Matcher {
    paths: Paths,
    exact: Vec<Postings<Box<str>>>,
    ipv4_value: Postings<u32>,
    cidr_v4: Vec<Option<CidrIndex<u32>>>,
    cidr_v6: Vec<Option<CidrIndex<u128>>>,
    single: Vec<(PatternId, CompiledPattern)>,
    /// Indexes into `single` by object type tested.
    single_by_type: FxHashMap<Box<str>, Vec<u32>>,
    multi: Vec<(PatternId, CompiledPattern)>,
    indexed: usize,
    len: u32,
    /// The number of the path `ipv4-addr:value`, whose canonical values
    /// use the integer map.
    ipv4_path: Option<usize>,
}

/// The plain property paths the indexes read, numbered.
#[derive(Debug, Default, Clone)]
struct Paths {
    /// `(object type, property keys)` by path number.
    list: Vec<(Box<str>, Vec<Box<str>>)>,
    /// Path numbers by object type.
    by_type: FxHashMap<Box<str>, Vec<u16>>,
}

impl Paths {
    fn id(&mut self, object_type: &str, keys: &[&str]) -> Option<usize> {
        if let Some(idx) = self.find(object_type, keys) {
            return Some(idx);
        }
        let idx = self.list.len();
        let number = u16::try_from(idx).ok()?;
        self.list.push((
            object_type.into(),
            keys.iter().map(|key| Box::from(*key)).collect(),
        ));
        self.by_type
            .entry(object_type.into())
            .or_default()
            .push(number);
        Some(idx)
    }

    fn find(&self, object_type: &str, keys: &[&str]) -> Option<usize> {
        let candidates = self.by_type.get(object_type)?;
        candidates.iter().map(|idx| usize::from(*idx)).find(|idx| {
            let stored = &self.list[*idx].1;
            stored.len() == keys.len() && stored.iter().zip(keys).all(|(a, b)| a.as_ref() == *b)
        })
    }
}

/// One indexable test.
enum Term<'a> {
    Equals {
        object_type: &'a str,
        keys: Vec<&'a str>,
        value: &'a str,
    },
    Subset {
        object_type: &'a str,
        keys: Vec<&'a str>,
        net: Option<IpNet>,
    },
}

impl MatcherBuilder {
    /// An empty builder.
    pub fn new() -> MatcherBuilder {
        MatcherBuilder::default()
    }

    /// Adds `pattern`; its id is the number of patterns added before it.
    /// Beyond 2³¹ − 1 patterns, further patterns are ignored and get
    /// `None`.
    pub fn add(&mut self, pattern: &Pattern) -> Option<PatternId> {
        let id = self.next_id;
        if id > MAX_ID {
            return None;
        }
        self.next_id += 1;
        match index_terms(pattern)
            .and_then(|terms| self.paths_for(&terms).map(|paths| (terms, paths)))
        {
            Some((terms, paths)) => {
                self.indexed += 1;
                for (term, path) in terms.into_iter().zip(paths) {
                    self.index(term, path, id);
                }
            }
            None => {
                let compiled = CompiledPattern::new(pattern);
                if compiled.is_single_observation() {
                    self.single.push((id, compiled));
                } else {
                    self.multi.push((id, compiled));
                }
            }
        }
        Some(id)
    }

    /// Path numbers for `terms`, or `None` when the path table is full.
    fn paths_for(&mut self, terms: &[Term<'_>]) -> Option<Vec<usize>> {
        terms
            .iter()
            .map(|term| {
                let (Term::Equals {
                    object_type, keys, ..
                }
                | Term::Subset {
                    object_type, keys, ..
                }) = term;
                let path = self.paths.id(object_type, keys)?;
                while self.exact.len() <= path {
                    self.exact.push(Postings::default());
                    self.cidr_v4.push(CidrBuilder::default());
                    self.cidr_v6.push(CidrBuilder::default());
                }
                Some(path)
            })
            .collect()
    }

    fn index(&mut self, term: Term<'_>, path: usize, id: PatternId) {
        match term {
            Term::Equals {
                object_type,
                keys,
                value,
            } => {
                let ipv4 = (object_type == "ipv4-addr" && keys == ["value"])
                    .then(|| value.parse::<Ipv4Addr>().ok())
                    .flatten();
                match ipv4 {
                    Some(addr) => self.ipv4_value.insert(u32::from(addr), id),
                    None => self.exact[path].insert(value.into(), id),
                }
            }
            Term::Subset {
                net: Some(IpNet::V4 { addr, prefix }),
                ..
            } => self.cidr_v4[path].add(addr, prefix, id),
            Term::Subset {
                net: Some(IpNet::V6 { addr, prefix }),
                ..
            } => self.cidr_v6[path].add(addr, prefix, id),
            // A block that does not parse never matches.
            Term::Subset { net: None, .. } => {}
        }
    }

    /// Freezes the indexes.
    pub fn build(self) -> Matcher {
        let mut single_by_type: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        for (idx, (_, compiled)) in self.single.iter().enumerate() {
            for object_type in compiled.object_types() {
                single_by_type
                    .entry(object_type.into())
                    .or_default()
                    .push(u32::try_from(idx).expect("fewer than 2^31 patterns"));
            }
        }
        let freeze_v4 =
            |builder: CidrBuilder<u32>| Some(builder.build()).filter(|it| !it.is_empty());
        let freeze_v6 =
            |builder: CidrBuilder<u128>| Some(builder.build()).filter(|it| !it.is_empty());
        Matcher {
            ipv4_path: self.paths.find("ipv4-addr", &["value"]),
            paths: self.paths,
            exact: self.exact,
            ipv4_value: self.ipv4_value,
            cidr_v4: self.cidr_v4.into_iter().map(freeze_v4).collect(),
            cidr_v6: self.cidr_v6.into_iter().map(freeze_v6).collect(),
            single: self.single,
            single_by_type,
            multi: self.multi,
            indexed: self.indexed,
            len: self.next_id,
        }
    }
}

/// The indexable tests of `pattern`, or `None` if it is not one `[…]` of
/// `OR`ed plain equality and subset tests.
fn index_terms(pattern: &Pattern) -> Option<Vec<Term<'_>>> {
    let ObservationExpr::Observation(comparison) = &pattern.expression else {
        return None;
    };
    let mut terms = Vec::new();
    collect_terms(comparison, &mut terms)?;
    Some(terms)
}

fn collect_terms<'a>(comparison: &'a ComparisonExpr, terms: &mut Vec<Term<'a>>) -> Option<()> {
    let test = match comparison {
        ComparisonExpr::Or(items) => {
            for item in items {
                collect_terms(item, terms)?;
            }
            return Some(());
        }
        ComparisonExpr::And(_) => return None,
        ComparisonExpr::Test(test) => test,
    };
    if test.negated {
        return None;
    }
    let mut keys = vec![test.path.property.as_str()];
    for step in &test.path.steps {
        match step {
            PathStep::Key(key) => keys.push(key),
            _ => return None,
        }
    }
    // Suffixes change how a value reads (references, binary).
    if keys.iter().any(|key| {
        key.ends_with("_ref")
            || key.ends_with("_refs")
            || key.ends_with("_hex")
            || key.ends_with("_bin")
    }) {
        return None;
    }
    let object_type = test.path.object_type.as_str();
    match &test.operator {
        Operator::Eq(Literal::Str(value)) => terms.push(Term::Equals {
            object_type,
            keys,
            value,
        }),
        Operator::In(items) => {
            for item in items {
                let Literal::Str(value) = item else {
                    return None;
                };
                terms.push(Term::Equals {
                    object_type,
                    keys: keys.clone(),
                    value,
                });
            }
        }
        Operator::IsSubset(text) => terms.push(Term::Subset {
            object_type,
            keys,
            net: IpNet::parse(text),
        }),
        _ => return None,
    }
    Some(())
}

impl Matcher {
    /// Number of patterns added.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether no pattern was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How the patterns are handled, and index memory.
    pub fn stats(&self) -> MatcherStats {
        let exact: usize = self
            .exact
            .iter()
            .map(|postings| postings.heap_bytes() + postings.len() * 8)
            .sum();
        let cidr: usize = self
            .cidr_v4
            .iter()
            .flatten()
            .map(CidrIndex::heap_bytes)
            .sum::<usize>()
            + self
                .cidr_v6
                .iter()
                .flatten()
                .map(CidrIndex::heap_bytes)
                .sum::<usize>();
        MatcherStats {
            indexed: self.indexed,
            evaluated: self.single.len(),
            multi_observation: self.multi.len(),
            index_bytes: exact + cidr + self.ipv4_value.heap_bytes(),
        }
    }

    /// Appends the single-observation patterns `observation` matches
    /// (sorted, without duplicates). Patterns over several observations
    /// are not considered; see [`Matcher::match_observations`].
    pub fn match_observation(&self, observation: &Observation, out: &mut Vec<PatternId>) {
        let start = out.len();
        let mut evaluate: Vec<u32> = Vec::new();
        for object in observation.objects.values() {
            let Some(object_type) = object.get("type").and_then(Value::as_str) else {
                continue;
            };
            self.match_object(object_type, |keys| lookup_path(object, keys), out);
            if self.single_by_type.is_empty() {
                continue;
            }
            if let Some(patterns) = self.single_by_type.get(object_type) {
                evaluate.extend_from_slice(patterns);
            }
        }
        if !evaluate.is_empty() {
            evaluate.sort_unstable();
            evaluate.dedup();
            for idx in evaluate {
                let (id, compiled) = &self.single[idx as usize];
                if compiled.matches_one(observation) {
                    out.push(*id);
                }
            }
        }
        finish(out, start);
    }

    /// Every pattern the set of observations matches, ascending: single
    /// observation patterns that match any observation, and patterns over
    /// several observations evaluated on the whole set.
    pub fn match_observations(&self, observations: &[Observation]) -> Vec<PatternId> {
        let mut found = Vec::new();
        for observation in observations {
            self.match_observation(observation, &mut found);
        }
        for (id, compiled) in &self.multi {
            if compiled.evaluate(observations).matched {
                found.push(*id);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Appends the single-observation patterns matching one observable
    /// (sorted, without duplicates). Indexed patterns cost a hash probe or
    /// a range search; evaluated patterns about the observable's type, if
    /// any, see an observation holding just that object.
    pub fn lookup(&self, observable: Observable<'_>, out: &mut Vec<PatternId>) {
        let start = out.len();
        let ipv6_text;
        let (object_type, keys, value): (&str, &[&str], &str) = match observable {
            Observable::Ipv4(addr) => {
                self.ipv4_value.get(&u32::from(addr), out);
                if let Some(Some(index)) = self
                    .path("ipv4-addr", &["value"])
                    .and_then(|path| self.cidr_v4.get(path))
                {
                    index.lookup(u32::from(addr), 32, out);
                }
                self.lookup_evaluated(observable, out);
                finish(out, start);
                return;
            }
            Observable::Ipv6(addr) => {
                ipv6_text = addr.to_string();
                ("ipv6-addr", &["value"], &ipv6_text)
            }
            Observable::DomainName(value) => ("domain-name", &["value"], value),
            Observable::Url(value) => ("url", &["value"], value),
            Observable::EmailAddr(value) => ("email-addr", &["value"], value),
            Observable::FileHash { algorithm, value } => {
                if let Some(path) = self.path("file", &["hashes", algorithm]) {
                    self.exact[path].get(value, out);
                }
                self.lookup_evaluated(observable, out);
                finish(out, start);
                return;
            }
        };
        if let Some(path) = self.path(object_type, keys) {
            self.match_value(path, value, out);
        }
        self.lookup_evaluated(observable, out);
        finish(out, start);
    }

    /// Evaluates the non-indexed patterns about the observable's type
    /// against an observation of just that object.
    fn lookup_evaluated(&self, observable: Observable<'_>, out: &mut Vec<PatternId>) {
        let object_type = match observable {
            Observable::Ipv4(_) => "ipv4-addr",
            Observable::Ipv6(_) => "ipv6-addr",
            Observable::DomainName(_) => "domain-name",
            Observable::Url(_) => "url",
            Observable::EmailAddr(_) => "email-addr",
            Observable::FileHash { .. } => "file",
        };
        let Some(patterns) = self.single_by_type.get(object_type) else {
            return;
        };
        let object = match observable {
            Observable::Ipv4(addr) => {
                serde_json::json!({"type": object_type, "value": addr.to_string()})
            }
            Observable::Ipv6(addr) => {
                serde_json::json!({"type": object_type, "value": addr.to_string()})
            }
            Observable::DomainName(value)
            | Observable::Url(value)
            | Observable::EmailAddr(value) => {
                serde_json::json!({"type": object_type, "value": value})
            }
            Observable::FileHash { algorithm, value } => {
                serde_json::json!({"type": object_type, "hashes": {algorithm: value}})
            }
        };
        let observation = Observation::new(
            Timestamp::from_unix(0, 0).expect("the epoch is in range"),
            BTreeMap::from([("0".to_string(), object)]),
        );
        for idx in patterns {
            let (id, compiled) = &self.single[*idx as usize];
            if compiled.matches_one(&observation) {
                out.push(*id);
            }
        }
    }

    fn path(&self, object_type: &str, keys: &[&str]) -> Option<usize> {
        self.paths.find(object_type, keys)
    }

    /// Probes every indexed path of `object_type`, reading values through
    /// `read`.
    #[inline]
    fn match_object<'v>(
        &self,
        object_type: &str,
        read: impl Fn(&[Box<str>]) -> Option<&'v str>,
        out: &mut Vec<PatternId>,
    ) {
        let Some(paths) = self.paths.by_type.get(object_type) else {
            return;
        };
        for &path in paths {
            let path = usize::from(path);
            if let Some(value) = read(&self.paths.list[path].1) {
                self.match_value(path, value, out);
            }
        }
    }

    /// Probes the indexes of `path` for `value`.
    #[inline]
    fn match_value(&self, path: usize, value: &str, out: &mut Vec<PatternId>) {
        let ipv4 = (self.ipv4_path == Some(path))
            .then(|| value.parse::<Ipv4Addr>().ok())
            .flatten();
        match ipv4 {
            // Canonical dotted quads equal only canonical literals, which
            // live in the integer map.
            Some(addr) => self.ipv4_value.get(&u32::from(addr), out),
            None => self.exact[path].get(value, out),
        }
        let v4 = self.cidr_v4[path].as_ref();
        let v6 = self.cidr_v6[path].as_ref();
        if v4.is_none() && v6.is_none() {
            return;
        }
        // A plain address was parsed already; `IpNet::parse` would read it
        // as the same address with prefix 32.
        if let (Some(addr), Some(index)) = (ipv4, v4) {
            index.lookup(u32::from(addr), 32, out);
            return;
        }
        match IpNet::parse(value) {
            Some(IpNet::V4 { addr, prefix }) => {
                if let Some(index) = v4 {
                    index.lookup(addr, prefix, out);
                }
            }
            Some(IpNet::V6 { addr, prefix }) => {
                if let Some(index) = v6 {
                    index.lookup(addr, prefix, out);
                }
            }
            None => {}
        }
    }
}

/// Sorts and deduplicates `out[start..]` in place.
fn finish(out: &mut Vec<PatternId>, start: usize) {
    let tail = &mut out[start..];
    tail.sort_unstable();
    let mut kept = 0;
    for idx in 0..tail.len() {
        if idx == 0 || tail[idx] != tail[kept - 1] {
            tail[kept] = tail[idx];
            kept += 1;
        }
    }
    out.truncate(start + kept);
}

/// The string at `keys` inside `object`.
#[inline]
fn lookup_path<'v>(object: &'v Value, keys: &[Box<str>]) -> Option<&'v str> {
    let mut value = object;
    for key in keys {
        value = value.get(key.as_ref())?;
    }
    value.as_str()
}
