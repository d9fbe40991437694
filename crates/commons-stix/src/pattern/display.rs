//! Canonical printing of patterns: single spaces, upper-case keywords, `=`
//! and `!=` for equality, parentheses only where precedence needs them, and
//! quotes only around property names that are not plain identifiers. Parsing
//! the printed text gives back the same tree.

use std::fmt::{self, Display, Formatter, Write};

use base64::Engine;

use super::ast::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern, PropTest,
    Qualifier, Seconds,
};
use super::lexer::is_reserved;

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expression.fmt(f)
    }
}

/// Binding strength of observation operators, weakest first.
fn observation_precedence(expr: &ObservationExpr) -> u8 {
    match expr {
        ObservationExpr::FollowedBy(_) => 0,
        ObservationExpr::Or(_) => 1,
        ObservationExpr::And(_) => 2,
        ObservationExpr::Qualified { .. } => 3,
        ObservationExpr::Observation(_) => 4,
    }
}

impl Display for ObservationExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (items, separator) = match self {
            ObservationExpr::Observation(comparison) => return write!(f, "[{comparison}]"),
            ObservationExpr::Qualified { expr, qualifiers } => {
                if observation_precedence(expr) <= observation_precedence(self) {
                    write!(f, "({expr})")?;
                } else {
                    write!(f, "{expr}")?;
                }
                for qualifier in qualifiers {
                    write!(f, " {qualifier}")?;
                }
                return Ok(());
            }
            ObservationExpr::And(items) => (items, " AND "),
            ObservationExpr::Or(items) => (items, " OR "),
            ObservationExpr::FollowedBy(items) => (items, " FOLLOWEDBY "),
        };
        for (idx, item) in items.iter().enumerate() {
            if idx > 0 {
                f.write_str(separator)?;
            }
            if observation_precedence(item) <= observation_precedence(self) {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl Display for Qualifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(seconds) => write!(f, "WITHIN {seconds} SECONDS"),
            Qualifier::Repeats(count) => write!(f, "REPEATS {count} TIMES"),
            Qualifier::StartStop { start, stop } => write!(f, "START t'{start}' STOP t'{stop}'"),
        }
    }
}

impl Display for Seconds {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Seconds::Int(value) => write!(f, "{value}"),
            Seconds::Float(value) => write_float(f, *value),
        }
    }
}

fn comparison_precedence(expr: &ComparisonExpr) -> u8 {
    match expr {
        ComparisonExpr::Or(_) => 0,
        ComparisonExpr::And(_) => 1,
        ComparisonExpr::Test(_) => 2,
    }
}

impl Display for ComparisonExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (items, separator) = match self {
            ComparisonExpr::Test(test) => return test.fmt(f),
            ComparisonExpr::And(items) => (items, " AND "),
            ComparisonExpr::Or(items) => (items, " OR "),
        };
        for (idx, item) in items.iter().enumerate() {
            if idx > 0 {
                f.write_str(separator)?;
            }
            if comparison_precedence(item) <= comparison_precedence(self) {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl Display for PropTest {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        let path = &self.path;
        match &self.operator {
            Operator::Exists => write!(f, "{not}EXISTS {path}"),
            Operator::Eq(literal) => write!(f, "{path} {not}= {literal}"),
            Operator::Ne(literal) => write!(f, "{path} {not}!= {literal}"),
            Operator::Lt(literal) => write!(f, "{path} {not}< {literal}"),
            Operator::Le(literal) => write!(f, "{path} {not}<= {literal}"),
            Operator::Gt(literal) => write!(f, "{path} {not}> {literal}"),
            Operator::Ge(literal) => write!(f, "{path} {not}>= {literal}"),
            Operator::In(items) => {
                write!(f, "{path} {not}IN (")?;
                for (idx, item) in items.iter().enumerate() {
                    if idx > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Operator::Like(text) => write!(f, "{path} {not}LIKE {}", Quoted(text)),
            Operator::Matches(text) => write!(f, "{path} {not}MATCHES {}", Quoted(text)),
            Operator::IsSubset(text) => write!(f, "{path} {not}ISSUBSET {}", Quoted(text)),
            Operator::IsSuperset(text) => write!(f, "{path} {not}ISSUPERSET {}", Quoted(text)),
        }
    }
}

impl Display for ObjectPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        write_property(f, &self.property)?;
        for step in &self.steps {
            match step {
                PathStep::Key(key) => {
                    f.write_char('.')?;
                    write_property(f, key)?;
                }
                PathStep::Index(idx) => write!(f, "[{idx}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// A property name, bare when it lexes as an identifier without `-`.
fn write_property(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_reserved(name);
    if bare {
        f.write_str(name)
    } else {
        write!(f, "{}", Quoted(name))
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(value) => write!(f, "{value}"),
            Literal::Float(value) => write_float(f, *value),
            Literal::Str(text) => write!(f, "{}", Quoted(text)),
            Literal::Bool(value) => write!(f, "{value}"),
            Literal::Binary(bytes) => write!(
                f,
                "b'{}'",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            Literal::Hex(bytes) => {
                f.write_str("h'")?;
                for byte in bytes {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
            Literal::Timestamp(ts) => write!(f, "t'{ts}'"),
        }
    }
}

/// A float that reads back as a float: Rust prints the shortest text that
/// round-trips, which lacks a `.` for whole numbers.
fn write_float(f: &mut Formatter<'_>, value: f64) -> fmt::Result {
    let text = value.to_string();
    if text.contains('.') {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

/// A string literal with `\` and `'` escaped.
struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for c in self.0.chars() {
            if c == '\'' || c == '\\' {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
        f.write_char('\'')
    }
}
