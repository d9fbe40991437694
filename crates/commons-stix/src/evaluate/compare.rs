//! Comparison expressions against one observation: walking object paths
//! (resolving `*_ref` inside the observation), and the operators' type
//! rules.
//!
//! The rules follow the specification and the OASIS reference matcher:
//! everything inside one `[…]` is about one root object (tests joined by
//! `AND` must hold for the same object); a test holds when any value the
//! path selects passes, and `NOT` negates each value's result, so a missing
//! property fails both `=` and `NOT =`; operands of different types compare
//! unequal and unordered; strings compare with binary values byte-wise when
//! every character is below U+0100; `*_hex` and `*_bin` properties are
//! binary; `LIKE` and `MATCHES` compare NFC-normalized text.

use std::cmp::Ordering;

use base64::Engine;
use serde_json::Value;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::compile_regex;
use crate::Timestamp;
use crate::net::IpNet;
use crate::observation::Observation;
use crate::pattern::{ComparisonExpr, Literal, Operator, PathStep, PropTest};

/// A comparison expression ready to run: regexes compiled, CIDRs parsed.
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
    Test(Box<CompiledTest>),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledTest {
    object_type: String,
    steps: Vec<PathStep>,
    negated: bool,
    operator: CompiledOperator,
}

#[derive(Debug, Clone)]
enum CompiledOperator {
    Eq(Literal),
    Ne(Literal),
    Order(Literal, fn(Ordering) -> bool),
    In(Vec<Literal>),
    /// `None` when the operand cannot be compiled: never matches.
    Like(Option<regex::Regex>),
    Matches {
        text: Option<regex::Regex>,
        bytes: Option<regex::bytes::Regex>,
    },
    IsSubset(Option<IpNet>),
    IsSuperset(Option<IpNet>),
    Exists,
}

impl Compiled {
    /// Compiles `expr`, noting operands that can never match in `warnings`.
    pub(crate) fn new(expr: &ComparisonExpr, warnings: &mut Vec<String>) -> Compiled {
        match expr {
            ComparisonExpr::And(items) => {
                Compiled::And(items.iter().map(|it| Compiled::new(it, warnings)).collect())
            }
            ComparisonExpr::Or(items) => {
                Compiled::Or(items.iter().map(|it| Compiled::new(it, warnings)).collect())
            }
            ComparisonExpr::Test(test) => Compiled::Test(Box::new(compile_test(test, warnings))),
        }
    }

    /// Whether some object of `observation` satisfies the expression.
    pub(crate) fn matches(&self, observation: &Observation) -> bool {
        observation
            .objects
            .values()
            .any(|root| self.holds_for(root, observation))
    }

    /// Whether the expression holds with `root` as its object.
    fn holds_for(&self, root: &Value, observation: &Observation) -> bool {
        match self {
            Compiled::And(items) => items.iter().all(|it| it.holds_for(root, observation)),
            Compiled::Or(items) => items.iter().any(|it| it.holds_for(root, observation)),
            Compiled::Test(test) => test.holds_for(root, observation),
        }
    }

    /// The object types the expression can be rooted at.
    pub(crate) fn object_types(&self, types: &mut Vec<String>) {
        match self {
            Compiled::And(items) | Compiled::Or(items) => {
                for item in items {
                    item.object_types(types);
                }
            }
            Compiled::Test(test) => {
                if !types.contains(&test.object_type) {
                    types.push(test.object_type.clone());
                }
            }
        }
    }
}

fn compile_test(test: &PropTest, warnings: &mut Vec<String>) -> CompiledTest {
    let mut steps = vec![PathStep::Key(test.path.property.clone())];
    steps.extend(test.path.steps.iter().cloned());
    let net = |text: &str, warnings: &mut Vec<String>| {
        let net = IpNet::parse(text);
        if net.is_none() {
            warnings.push(format!(
                "'{text}' in '{test}' is not an IP address or CIDR block; it never matches"
            ));
        }
        net
    };
    let operator = match &test.operator {
        Operator::Eq(literal) => CompiledOperator::Eq(literal.clone()),
        Operator::Ne(literal) => CompiledOperator::Ne(literal.clone()),
        Operator::Lt(literal) => CompiledOperator::Order(literal.clone(), Ordering::is_lt),
        Operator::Le(literal) => CompiledOperator::Order(literal.clone(), Ordering::is_le),
        Operator::Gt(literal) => CompiledOperator::Order(literal.clone(), Ordering::is_gt),
        Operator::Ge(literal) => CompiledOperator::Order(literal.clone(), Ordering::is_ge),
        Operator::In(items) => CompiledOperator::In(items.clone()),
        Operator::Like(like) => {
            CompiledOperator::Like(compile_regex(&like_to_regex(&nfc(like))).ok())
        }
        Operator::Matches(source) => {
            let source = nfc(source);
            let text = compile_regex(&source);
            if let Err(error) = &text {
                warnings.push(format!(
                    "the regex in '{test}' is not supported; it never matches: {error}"
                ));
            }
            CompiledOperator::Matches {
                text: text.ok(),
                bytes: bytes_regex(&source),
            }
        }
        Operator::IsSubset(text) => CompiledOperator::IsSubset(net(text, warnings)),
        Operator::IsSuperset(text) => CompiledOperator::IsSuperset(net(text, warnings)),
        Operator::Exists => CompiledOperator::Exists,
    };
    CompiledTest {
        object_type: test.path.object_type.clone(),
        steps,
        negated: test.negated,
        operator,
    }
}

/// A value selected by a path.
enum Selected<'a> {
    Json(&'a Value),
    /// Resolved `*_refs`: the referenced objects.
    Objects(Vec<&'a Value>),
    /// A `*_hex` or `*_bin` property, decoded.
    Bytes(Vec<u8>),
}

impl CompiledTest {
    fn holds_for(&self, root: &Value, observation: &Observation) -> bool {
        if root.get("type").and_then(Value::as_str) != Some(self.object_type.as_str()) {
            return false;
        }
        let values = select(root, &self.steps, observation);
        if let CompiledOperator::Exists = self.operator {
            return values.is_empty() == self.negated;
        }
        values
            .iter()
            .any(|value| self.operator.passes(value) != self.negated)
    }
}

/// The values `steps` select from `root`.
fn select<'a>(
    root: &'a Value,
    steps: &[PathStep],
    observation: &'a Observation,
) -> Vec<Selected<'a>> {
    let mut current = vec![Selected::Json(root)];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            match (step, value) {
                (PathStep::Key(key), Selected::Json(Value::Object(object))) => {
                    if let Some(selected) = object
                        .get(key)
                        .and_then(|found| step_into(key, found, observation))
                    {
                        next.push(selected);
                    }
                }
                (PathStep::Index(idx), Selected::Json(Value::Array(items))) => {
                    if let Some(item) = usize::try_from(*idx).ok().and_then(|idx| items.get(idx)) {
                        next.push(Selected::Json(item));
                    }
                }
                (PathStep::Index(idx), Selected::Objects(items)) => {
                    if let Some(item) = usize::try_from(*idx).ok().and_then(|idx| items.get(idx)) {
                        next.push(Selected::Json(item));
                    }
                }
                (PathStep::AnyIndex, Selected::Json(Value::Array(items))) => {
                    next.extend(items.iter().map(Selected::Json));
                }
                (PathStep::AnyIndex, Selected::Objects(items)) => {
                    next.extend(items.into_iter().map(Selected::Json));
                }
                _ => {}
            }
        }
        if next.is_empty() {
            return next;
        }
        current = next;
    }
    current
}

/// The value of property `key`, decoded or dereferenced by its suffix.
fn step_into<'a>(
    key: &str,
    value: &'a Value,
    observation: &'a Observation,
) -> Option<Selected<'a>> {
    if key.ends_with("_ref") {
        let id = value.as_str()?;
        return observation.objects.get(id).map(Selected::Json);
    }
    if key.ends_with("_refs") {
        let ids = value.as_array()?;
        let objects: Vec<&Value> = ids
            .iter()
            .filter_map(|id| observation.objects.get(id.as_str()?))
            .collect();
        return Some(Selected::Objects(objects));
    }
    if key.ends_with("_hex") {
        let text = value.as_str()?;
        return decode_hex(text).map(Selected::Bytes);
    }
    if key.ends_with("_bin") {
        let text = value.as_str()?;
        return base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .map(Selected::Bytes);
    }
    Some(Selected::Json(value))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| char::from(byte).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

impl CompiledOperator {
    fn passes(&self, value: &Selected<'_>) -> bool {
        match self {
            CompiledOperator::Eq(literal) => equals(value, literal),
            CompiledOperator::Ne(literal) => !equals(value, literal),
            CompiledOperator::Order(literal, accept) => compare(value, literal).is_some_and(accept),
            CompiledOperator::In(items) => items.iter().any(|literal| equals(value, literal)),
            CompiledOperator::Like(regex) => match (regex, text_of(value)) {
                (Some(regex), Some(text)) => regex.is_match(&nfc(&text)),
                _ => false,
            },
            CompiledOperator::Matches { text, bytes } => match value {
                Selected::Json(Value::String(value)) => text
                    .as_ref()
                    .is_some_and(|regex| regex.is_match(&nfc(value))),
                Selected::Bytes(value) => bytes.as_ref().is_some_and(|regex| regex.is_match(value)),
                _ => false,
            },
            CompiledOperator::IsSubset(net) => match (net, value) {
                (Some(net), Selected::Json(Value::String(value))) => {
                    IpNet::parse(value).is_some_and(|inner| net.contains(&inner))
                }
                _ => false,
            },
            CompiledOperator::IsSuperset(net) => match (net, value) {
                (Some(inner), Selected::Json(Value::String(value))) => {
                    IpNet::parse(value).is_some_and(|outer| outer.contains(inner))
                }
                _ => false,
            },
            CompiledOperator::Exists => true,
        }
    }
}

/// A string's characters as bytes, when all are below U+0100.
fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

fn equals(value: &Selected<'_>, literal: &Literal) -> bool {
    match (value, literal) {
        (Selected::Json(Value::Number(number)), Literal::Int(int)) => match number.as_i64() {
            Some(value) => value == *int,
            None => number.as_f64() == Some(*int as f64) && number.as_u64().is_none(),
        },
        (Selected::Json(Value::Number(number)), Literal::Float(float)) => {
            number.as_f64() == Some(*float)
        }
        (Selected::Json(Value::String(text)), Literal::Str(literal)) => text == literal,
        (Selected::Bytes(bytes), Literal::Str(literal)) => {
            latin1(literal).as_deref() == Some(bytes.as_slice())
        }
        (Selected::Json(Value::Bool(value)), Literal::Bool(literal)) => value == literal,
        (Selected::Bytes(bytes), Literal::Binary(literal) | Literal::Hex(literal)) => {
            bytes == literal
        }
        (Selected::Json(Value::String(text)), Literal::Binary(literal) | Literal::Hex(literal)) => {
            latin1(text).as_deref() == Some(literal.as_slice())
        }
        (Selected::Json(Value::String(text)), Literal::Timestamp(literal)) => {
            Timestamp::parse(text).is_ok_and(|ts| ts == *literal)
        }
        _ => false,
    }
}

fn compare(value: &Selected<'_>, literal: &Literal) -> Option<Ordering> {
    match (value, literal) {
        (Selected::Json(Value::Number(number)), Literal::Int(int)) => match number.as_i64() {
            Some(value) => Some(value.cmp(int)),
            None => number.as_f64()?.partial_cmp(&(*int as f64)),
        },
        (Selected::Json(Value::Number(number)), Literal::Float(float)) => {
            number.as_f64()?.partial_cmp(float)
        }
        (Selected::Json(Value::String(text)), Literal::Str(literal)) => {
            Some(text.as_str().cmp(literal.as_str()))
        }
        (Selected::Bytes(bytes), Literal::Str(literal)) => {
            Some(bytes.as_slice().cmp(latin1(literal)?.as_slice()))
        }
        (Selected::Bytes(bytes), Literal::Binary(literal) | Literal::Hex(literal)) => {
            Some(bytes.as_slice().cmp(literal.as_slice()))
        }
        (Selected::Json(Value::String(text)), Literal::Binary(literal) | Literal::Hex(literal)) => {
            Some(latin1(text)?.as_slice().cmp(literal.as_slice()))
        }
        (Selected::Json(Value::String(text)), Literal::Timestamp(literal)) => {
            Some(Timestamp::parse(text).ok()?.cmp(literal))
        }
        _ => None,
    }
}

/// The text of a string value, or of binary data that is valid UTF-8.
fn text_of<'a>(value: &'a Selected<'_>) -> Option<std::borrow::Cow<'a, str>> {
    match value {
        Selected::Json(Value::String(text)) => Some(std::borrow::Cow::Borrowed(text.as_str())),
        Selected::Bytes(bytes) => std::str::from_utf8(bytes)
            .ok()
            .map(std::borrow::Cow::Borrowed),
        _ => None,
    }
}

/// `text` in Unicode normalization form C, without copying when it
/// already is.
fn nfc(text: &str) -> std::borrow::Cow<'_, str> {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => std::borrow::Cow::Borrowed(text),
        _ => std::borrow::Cow::Owned(text.nfc().collect()),
    }
}

/// SQL `LIKE` as an anchored regex: `%` is any run, `_` any one character.
fn like_to_regex(like: &str) -> String {
    let mut regex = String::from("(?s)^");
    for c in like.chars() {
        match c {
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            _ => regex.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    regex.push('$');
    regex
}

/// The regex for binary values: each character below U+0100 stands for
/// that byte (as in the reference matcher); `None` if a character is above.
fn bytes_regex(source: &str) -> Option<regex::bytes::Regex> {
    let mut pattern = String::from("(?-u)");
    for c in source.chars() {
        let code = u32::from(c);
        if code >= 0x100 {
            return None;
        }
        if code >= 0x80 {
            pattern.push_str(&format!("\\x{code:02x}"));
        } else {
            pattern.push(c);
        }
    }
    regex::bytes::RegexBuilder::new(&pattern)
        .size_limit(1 << 20)
        .build()
        .ok()
}
