//! Tokens of the pattern language, with their byte positions.
//!
//! The lexer follows the ANTLR grammar's token rules (keywords are
//! upper-case and case-sensitive, `true`/`false` lower-case, `t'…'`, `h'…'`
//! and `b'…'` literals, `/* */` and `//` comments) but reports a malformed
//! literal as such ("invalid timestamp") instead of splitting it into tokens
//! that fail later with a vaguer message.

use base64::Engine;

use super::PatternError;
use crate::Timestamp;

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token<'a> {
    pub(super) kind: Tok<'a>,
    pub(super) start: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Keyword(Keyword),
    /// An identifier; `hyphen` when it contains `-` (only object types may).
    Ident {
        text: &'a str,
        hyphen: bool,
    },
    Str(String),
    /// An integer as written, sign included (parsed where its range is known).
    Int(&'a str),
    Float(f64),
    Hex(Vec<u8>),
    Binary(Vec<u8>),
    Timestamp(Timestamp),
    Bool(bool),
    Eof,
}

/// Reserved words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

const KEYWORDS: &[(&str, Keyword)] = &[
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("FOLLOWEDBY", Keyword::FollowedBy),
    ("LIKE", Keyword::Like),
    ("MATCHES", Keyword::Matches),
    ("ISSUPERSET", Keyword::IsSuperset),
    ("ISSUBSET", Keyword::IsSubset),
    ("EXISTS", Keyword::Exists),
    ("LAST", Keyword::Last),
    ("IN", Keyword::In),
    ("START", Keyword::Start),
    ("STOP", Keyword::Stop),
    ("SECONDS", Keyword::Seconds),
    ("WITHIN", Keyword::Within),
    ("REPEATS", Keyword::Repeats),
    ("TIMES", Keyword::Times),
];

impl Keyword {
    pub(super) fn text(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|(_, keyword)| *keyword == self)
            .map(|(text, _)| *text)
            .expect("every keyword is in KEYWORDS")
    }
}

/// Whether `word` would lex as something other than an identifier, so a
/// property named so must be quoted.
pub(super) fn is_reserved(word: &str) -> bool {
    word == "true" || word == "false" || KEYWORDS.iter().any(|(text, _)| *text == word)
}

impl Tok<'_> {
    /// How the token reads in "found …" of an error.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::LBrack => "'['".into(),
            Tok::RBrack => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Colon => "':'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Star => "'*'".into(),
            Tok::Eq => "'='".into(),
            Tok::Ne => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Keyword(keyword) => format!("'{}'", keyword.text()),
            Tok::Ident { text, .. } => format!("identifier '{}'", shorten(text)),
            Tok::Str(text) => format!("string '{}'", shorten(text)),
            Tok::Int(text) => format!("integer {}", shorten(text)),
            Tok::Float(value) => format!("number {value}"),
            Tok::Hex(_) => "a hex literal".into(),
            Tok::Binary(_) => "a binary literal".into(),
            Tok::Timestamp(ts) => format!("timestamp t'{ts}'"),
            Tok::Bool(value) => format!("'{value}'"),
            Tok::Eof => "end of input".into(),
        }
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 32;
    match text.char_indices().nth(MAX) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_string(),
    }
}

/// Splits `text` into tokens, ending with [`Tok::Eof`].
pub(super) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, PatternError> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_blanks()?;
        let start = lexer.pos;
        let kind = lexer.next_token()?;
        let done = kind == Tok::Eof;
        tokens.push(Token { kind, start });
        if done {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_byte_at(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + offset).copied()
    }

    fn error(&self, position: usize, expected: &str, found: impl Into<String>) -> PatternError {
        PatternError {
            position,
            expected: expected.to_string(),
            found: found.into(),
        }
    }

    fn skip_blanks(&mut self) -> Result<(), PatternError> {
        loop {
            let rest = self.rest();
            if let Some(c) = rest.chars().next()
                && c.is_whitespace()
            {
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                self.pos += rest.find(['\r', '\n']).unwrap_or(rest.len());
            } else if let Some(comment) = rest.strip_prefix("/*") {
                match comment.find("*/") {
                    Some(end) => self.pos += end + 4,
                    None => {
                        return Err(self.error(
                            self.pos,
                            "'*/' closing the comment",
                            "end of input",
                        ));
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    fn next_token(&mut self) -> Result<Tok<'a>, PatternError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Tok::Eof);
        };
        let two = self.rest().get(..2);
        let (kind, len) = match (c, two) {
            (_, Some("==")) => (Tok::Eq, 2),
            (_, Some("!=")) | (_, Some("<>")) => (Tok::Ne, 2),
            (_, Some("<=")) => (Tok::Le, 2),
            (_, Some(">=")) => (Tok::Ge, 2),
            ('=', _) => (Tok::Eq, 1),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            ('[', _) => (Tok::LBrack, 1),
            (']', _) => (Tok::RBrack, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            (':', _) => (Tok::Colon, 1),
            ('*', _) => (Tok::Star, 1),
            ('\'', _) => return self.string().map(Tok::Str),
            ('t' | 'h' | 'b', _) if self.peek_byte_at(1) == Some(b'\'') => {
                return self.prefixed_literal(c);
            }
            ('+' | '-' | '0'..='9', _) => return self.number(),
            ('.', _) if self.peek_byte_at(1).is_some_and(|it| it.is_ascii_digit()) => {
                return self.number();
            }
            ('.', _) => (Tok::Dot, 1),
            ('a'..='z' | 'A'..='Z' | '_', _) => return Ok(self.identifier()),
            _ => {
                return Err(self.error(start, "a token", format!("character {c:?}")));
            }
        };
        self.pos += len;
        Ok(kind)
    }

    fn identifier(&mut self) -> Tok<'a> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let text = &rest[..len];
        self.pos += len;
        if let Some((_, keyword)) = KEYWORDS.iter().find(|(word, _)| *word == text) {
            return Tok::Keyword(*keyword);
        }
        match text {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            _ => Tok::Ident {
                text,
                hyphen: text.contains('-'),
            },
        }
    }

    /// `'…'` with the escapes `\'` and `\\`; `self.pos` is at the quote.
    fn string(&mut self) -> Result<String, PatternError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(
                    open,
                    "a closing quote for the string starting here",
                    "end of input",
                ));
            };
            match c {
                '\'' => {
                    self.pos += 1;
                    return Ok(value);
                }
                '\\' => {
                    match self.peek_byte_at(1) {
                        Some(escaped @ (b'\'' | b'\\')) => value.push(char::from(escaped)),
                        _ => {
                            return Err(self.error(
                                self.pos,
                                "\\' or \\\\ (the only escapes in a string)",
                                "another character after the backslash",
                            ));
                        }
                    }
                    self.pos += 2;
                }
                _ => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `t'…'`, `h'…'` or `b'…'`; `self.pos` is at the prefix.
    fn prefixed_literal(&mut self, prefix: char) -> Result<Tok<'a>, PatternError> {
        let start = self.pos;
        self.pos += 2;
        let body_start = self.pos;
        let Some(len) = self.rest().find('\'') else {
            return Err(self.error(
                start,
                "a closing quote for the literal starting here",
                "end of input",
            ));
        };
        let body = &self.text[body_start..body_start + len];
        self.pos = body_start + len + 1;
        match prefix {
            't' => Timestamp::parse(body).map(Tok::Timestamp).map_err(|error| {
                self.error(
                    start,
                    "a timestamp t'YYYY-MM-DDTHH:MM:SS[.s+]Z'",
                    format!("t'{}' ({})", shorten(body), error.reason),
                )
            }),
            'h' => decode_hex(body).map(Tok::Hex).ok_or_else(|| {
                self.error(
                    start,
                    "an even number of hex digits in h'…'",
                    format!("h'{}'", shorten(body)),
                )
            }),
            _ => {
                let valid_chars = body
                    .bytes()
                    .all(|it| it.is_ascii_alphanumeric() || matches!(it, b'+' | b'/' | b'='));
                let decoded = valid_chars
                    .then(|| base64::engine::general_purpose::STANDARD.decode(body).ok())
                    .flatten();
                decoded.map(Tok::Binary).ok_or_else(|| {
                    self.error(
                        start,
                        "padded base64 in b'…'",
                        format!("b'{}'", shorten(body)),
                    )
                })
            }
        }
    }

    /// `[+-]? digits` or `[+-]? digits? . digits`.
    fn number(&mut self) -> Result<Tok<'a>, PatternError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        let int_start = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let int_digits = end - int_start;
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            let text = &self.text[start..end];
            self.pos = end;
            let value: f64 = text
                .parse()
                .map_err(|_| self.error(start, "a number", text.to_string()))?;
            if !value.is_finite() {
                return Err(self.error(start, "a finite number", text.to_string()));
            }
            return Ok(Tok::Float(value));
        }
        if int_digits == 0 {
            let found = self.peek().map(|c| format!("{c:?}")).unwrap_or_default();
            return Err(self.error(start, "a number after the sign", found));
        }
        if int_digits > 1 && bytes[int_start] == b'0' {
            return Err(self.error(
                start,
                "an integer without leading zeros",
                self.text[start..end].to_string(),
            ));
        }
        self.pos = end;
        Ok(Tok::Int(&self.text[start..end]))
    }
}

fn decode_hex(body: &str) -> Option<Vec<u8>> {
    if !body.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| char::from(byte).to_digit(16);
    body.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}
