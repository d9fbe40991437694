//! A recursive-descent parser for STIX patterning 2.1.
//!
//! Hand-written rather than built with a parser-combinator crate: the
//! grammar is small and LL(1) once left recursion becomes loops (one token of
//! lookahead decides every branch), so a direct parser is short, has no
//! dependency, and can say exactly which byte is wrong and what was expected
//! there, which is what a user fixing a pattern needs. Nesting depth is
//! capped so hostile input cannot exhaust the stack.

use super::ast::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern, PropTest,
    Qualifier, Seconds,
};
use super::lexer::{Keyword, Tok, Token, tokenize};

/// A pattern that does not parse: where, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {position}: expected {expected}, found {found}")]
pub struct PatternError {
    /// Byte offset into the pattern text.
    pub position: usize,
    /// What would have been valid there.
    pub expected: String,
    /// What was there instead.
    pub found: String,
}

/// How deeply parentheses and brackets may nest.
const MAX_DEPTH: usize = 100;

/// Parses a STIX 2.1 pattern.
///
/// ```
/// let pattern = commons_stix::parse_pattern("[ipv4-addr:value = '198.51.100.1']").unwrap();
/// assert_eq!(pattern.to_string(), "[ipv4-addr:value = '198.51.100.1']");
/// let error = commons_stix::parse_pattern("[ipv4-addr:value = ]").unwrap_err();
/// assert_eq!(error.position, 19);
/// ```
pub fn parse_pattern(text: &str) -> Result<Pattern, PatternError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        idx: 0,
        depth: 0,
    };
    let expression = parser.followed_by()?;
    parser.expect_eof()?;
    Ok(Pattern { expression })
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    idx: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok<'a> {
        &self.tokens[self.idx.min(self.tokens.len() - 1)].kind
    }

    fn position(&self) -> usize {
        self.tokens[self.idx.min(self.tokens.len() - 1)].start
    }

    fn advance(&mut self) -> Tok<'a> {
        let token = self.peek().clone();
        if self.idx < self.tokens.len() - 1 {
            self.idx += 1;
        }
        token
    }

    fn error(&self, expected: &str) -> PatternError {
        PatternError {
            position: self.position(),
            expected: expected.to_string(),
            found: self.peek().describe(),
        }
    }

    fn at_keyword(&self, keyword: Keyword) -> bool {
        *self.peek() == Tok::Keyword(keyword)
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.peek() == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok<'_>, expected: &str) -> Result<(), PatternError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn expect_eof(&self) -> Result<(), PatternError> {
        match self.peek() {
            Tok::Eof => Ok(()),
            _ => Err(self.error(
                "an observation operator (AND, OR, FOLLOWEDBY), a qualifier or end of input",
            )),
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("at most {MAX_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `or (FOLLOWEDBY or)*`.
    fn followed_by(&mut self) -> Result<ObservationExpr, PatternError> {
        let first = self.observation_or()?;
        let mut items = vec![first];
        while self.at_keyword(Keyword::FollowedBy) {
            self.advance();
            items.push(self.observation_or()?);
        }
        Ok(join(items, ObservationExpr::FollowedBy, |it| match it {
            ObservationExpr::FollowedBy(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    /// `and (OR and)*`.
    fn observation_or(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.observation_and()?];
        while self.at_keyword(Keyword::Or) {
            self.advance();
            items.push(self.observation_and()?);
        }
        Ok(join(items, ObservationExpr::Or, |it| match it {
            ObservationExpr::Or(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    /// `qualified (AND qualified)*`.
    fn observation_and(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.qualified()?];
        while self.at_keyword(Keyword::And) {
            self.advance();
            items.push(self.qualified()?);
        }
        Ok(join(items, ObservationExpr::And, |it| match it {
            ObservationExpr::And(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    /// `primary qualifier*`.
    fn qualified(&mut self) -> Result<ObservationExpr, PatternError> {
        let expr = self.observation_primary()?;
        let mut qualifiers = Vec::new();
        loop {
            match self.peek() {
                Tok::Keyword(Keyword::Within) => qualifiers.push(self.within()?),
                Tok::Keyword(Keyword::Repeats) => qualifiers.push(self.repeats()?),
                Tok::Keyword(Keyword::Start) => qualifiers.push(self.start_stop()?),
                _ => break,
            }
        }
        if qualifiers.is_empty() {
            return Ok(expr);
        }
        Ok(ObservationExpr::Qualified {
            expr: Box::new(expr),
            qualifiers,
        })
    }

    /// `[ comparison ]` or `( observation expression )`.
    fn observation_primary(&mut self) -> Result<ObservationExpr, PatternError> {
        match self.peek() {
            Tok::LBrack => {
                self.enter()?;
                self.advance();
                let comparison = self.comparison_or()?;
                self.expect(&Tok::RBrack, "']' or a comparison operator (AND, OR)")?;
                self.leave();
                Ok(ObservationExpr::Observation(comparison))
            }
            Tok::LParen => {
                self.enter()?;
                self.advance();
                let inner = self.followed_by()?;
                self.expect(
                    &Tok::RParen,
                    "')' or an observation operator (AND, OR, FOLLOWEDBY)",
                )?;
                self.leave();
                Ok(inner)
            }
            _ => Err(self.error("'[' starting an observation expression, or '('")),
        }
    }

    /// `WITHIN n SECONDS`, n a positive integer or float.
    fn within(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let expected = "a positive number of seconds";
        let seconds = match self.peek() {
            Tok::Int(text) if !text.starts_with('-') => {
                let value: u64 = text
                    .trim_start_matches('+')
                    .parse()
                    .map_err(|_| self.error(expected))?;
                Seconds::Int(value)
            }
            Tok::Float(value) => Seconds::Float(*value),
            _ => return Err(self.error(expected)),
        };
        let positive = match seconds {
            Seconds::Int(value) => value > 0,
            Seconds::Float(value) => value > 0.0,
        };
        if !positive {
            return Err(self.error(expected));
        }
        self.advance();
        self.expect(&Tok::Keyword(Keyword::Seconds), "'SECONDS'")?;
        Ok(Qualifier::Within(seconds))
    }

    /// `REPEATS n TIMES`, n a positive integer.
    fn repeats(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let expected = "a positive integer";
        let count = match self.peek() {
            Tok::Int(text) if !text.starts_with('-') => text
                .trim_start_matches('+')
                .parse::<u64>()
                .ok()
                .filter(|count| *count > 0)
                .ok_or_else(|| self.error(expected))?,
            _ => return Err(self.error(expected)),
        };
        self.advance();
        self.expect(&Tok::Keyword(Keyword::Times), "'TIMES'")?;
        Ok(Qualifier::Repeats(count))
    }

    /// `START t'…' STOP t'…'`.
    fn start_stop(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let start = self.timestamp()?;
        self.expect(&Tok::Keyword(Keyword::Stop), "'STOP'")?;
        let stop = self.timestamp()?;
        Ok(Qualifier::StartStop { start, stop })
    }

    fn timestamp(&mut self) -> Result<crate::Timestamp, PatternError> {
        match self.peek() {
            Tok::Timestamp(ts) => {
                let ts = *ts;
                self.advance();
                Ok(ts)
            }
            _ => Err(self.error("a timestamp literal t'…'")),
        }
    }

    /// `and (OR and)*` inside brackets.
    fn comparison_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.comparison_and()?];
        while self.at_keyword(Keyword::Or) {
            self.advance();
            items.push(self.comparison_and()?);
        }
        Ok(join(items, ComparisonExpr::Or, |it| match it {
            ComparisonExpr::Or(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    /// `test (AND test)*`.
    fn comparison_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.prop_test()?];
        while self.at_keyword(Keyword::And) {
            self.advance();
            items.push(self.prop_test()?);
        }
        Ok(join(items, ComparisonExpr::And, |it| match it {
            ComparisonExpr::And(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    /// `( comparison )`, `[NOT] EXISTS path` or `path [NOT] op operand`.
    fn prop_test(&mut self) -> Result<ComparisonExpr, PatternError> {
        match self.peek() {
            Tok::LParen => {
                self.enter()?;
                self.advance();
                let inner = self.comparison_or()?;
                self.expect(&Tok::RParen, "')' or a comparison operator (AND, OR)")?;
                self.leave();
                return Ok(inner);
            }
            Tok::Keyword(Keyword::Exists) | Tok::Keyword(Keyword::Not) => {
                let negated = self.at_keyword(Keyword::Not);
                if negated {
                    self.advance();
                }
                self.expect(&Tok::Keyword(Keyword::Exists), "'EXISTS'")?;
                let path = self.object_path()?;
                return Ok(ComparisonExpr::Test(PropTest {
                    path,
                    negated,
                    operator: Operator::Exists,
                }));
            }
            _ => {}
        }
        let path = self.object_path()?;
        let negated = self.at_keyword(Keyword::Not);
        if negated {
            self.advance();
        }
        let operator = match self.peek() {
            Tok::Eq => {
                self.advance();
                Operator::Eq(self.literal(true)?)
            }
            Tok::Ne => {
                self.advance();
                Operator::Ne(self.literal(true)?)
            }
            Tok::Lt => {
                self.advance();
                Operator::Lt(self.literal(false)?)
            }
            Tok::Le => {
                self.advance();
                Operator::Le(self.literal(false)?)
            }
            Tok::Gt => {
                self.advance();
                Operator::Gt(self.literal(false)?)
            }
            Tok::Ge => {
                self.advance();
                Operator::Ge(self.literal(false)?)
            }
            Tok::Keyword(Keyword::In) => {
                self.advance();
                Operator::In(self.set()?)
            }
            Tok::Keyword(Keyword::Like) => {
                self.advance();
                Operator::Like(self.string()?)
            }
            Tok::Keyword(Keyword::Matches) => {
                self.advance();
                Operator::Matches(self.string()?)
            }
            Tok::Keyword(Keyword::IsSubset) => {
                self.advance();
                Operator::IsSubset(self.string()?)
            }
            Tok::Keyword(Keyword::IsSuperset) => {
                self.advance();
                Operator::IsSuperset(self.string()?)
            }
            _ => {
                return Err(self.error(
                    "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)",
                ));
            }
        };
        Ok(ComparisonExpr::Test(PropTest {
            path,
            negated,
            operator,
        }))
    }

    /// `type:property(.key | [n] | [*])*`.
    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek() {
            Tok::Ident { text, .. } => text.to_string(),
            _ => return Err(self.error("an object type such as ipv4-addr")),
        };
        self.advance();
        self.expect(&Tok::Colon, "':' after the object type")?;
        let property = self.property_name()?;
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.advance();
                    steps.push(PathStep::Key(self.property_name()?));
                }
                Tok::LBrack => {
                    self.advance();
                    let step = match self.peek() {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int(text) => PathStep::Index(
                            text.trim_start_matches('+')
                                .parse()
                                .map_err(|_| self.error("a list index that fits 64 bits"))?,
                        ),
                        _ => return Err(self.error("a list index or '*'")),
                    };
                    self.advance();
                    self.expect(&Tok::RBrack, "']' closing the list index")?;
                    steps.push(step);
                }
                _ => {
                    return Ok(ObjectPath {
                        object_type,
                        property,
                        steps,
                    });
                }
            }
        }
    }

    /// A property name: an identifier without `-`, or a quoted string.
    fn property_name(&mut self) -> Result<String, PatternError> {
        let name = match self.peek() {
            Tok::Ident {
                text,
                hyphen: false,
            } => text.to_string(),
            Tok::Str(text) => text.clone(),
            Tok::Ident { hyphen: true, .. } => {
                return Err(
                    self.error("a property name (quote names containing '-', e.g. 'SHA-256')")
                );
            }
            _ => return Err(self.error("a property name")),
        };
        self.advance();
        Ok(name)
    }

    fn string(&mut self) -> Result<String, PatternError> {
        match self.peek() {
            Tok::Str(text) => {
                let text = text.clone();
                self.advance();
                Ok(text)
            }
            _ => Err(self.error("a string literal '…'")),
        }
    }

    /// `( )` or `( literal (, literal)* )`.
    fn set(&mut self) -> Result<Vec<Literal>, PatternError> {
        self.expect(&Tok::LParen, "'(' starting a set")?;
        let mut items = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(items);
        }
        loop {
            items.push(self.literal(true)?);
            if self.eat(&Tok::RParen) {
                return Ok(items);
            }
            self.expect(&Tok::Comma, "',' or ')' in the set")?;
        }
    }

    /// A literal; booleans only where `allow_bool` (they are not ordered).
    fn literal(&mut self, allow_bool: bool) -> Result<Literal, PatternError> {
        let expected = if allow_bool {
            "a literal (string, number, boolean, t'…', h'…' or b'…')"
        } else {
            "an ordered literal (string, number, t'…', h'…' or b'…')"
        };
        let literal = match self.peek() {
            Tok::Int(text) => Literal::Int(
                text.trim_start_matches('+')
                    .parse()
                    .map_err(|_| self.error("an integer that fits 64 bits"))?,
            ),
            Tok::Float(value) => Literal::Float(*value),
            Tok::Str(text) => Literal::Str(text.clone()),
            Tok::Bool(value) if allow_bool => Literal::Bool(*value),
            Tok::Hex(bytes) => Literal::Hex(bytes.clone()),
            Tok::Binary(bytes) => Literal::Binary(bytes.clone()),
            Tok::Timestamp(ts) => Literal::Timestamp(*ts),
            _ => return Err(self.error(expected)),
        };
        self.advance();
        Ok(literal)
    }
}

/// One item, or the n-ary node of `items` with nested nodes of the same
/// operator (from parentheses) spliced in; `unwrap` gives back the children
/// of a node of this operator, or the item unchanged.
fn join<T>(items: Vec<T>, make: fn(Vec<T>) -> T, unwrap: fn(T) -> Result<Vec<T>, T>) -> T {
    if items.len() == 1 {
        return items.into_iter().next().expect("one item");
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match unwrap(item) {
            Ok(inner) => flat.extend(inner),
            Err(item) => flat.push(item),
        }
    }
    make(flat)
}
