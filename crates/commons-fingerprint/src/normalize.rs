//! The normalizer: a syntax tree walked into a stream of abstract tokens.
//!
//! What a token can be, and therefore everything a fingerprint can depend on:
//!
//! * a **node kind** of the grammar (`call`, `binary_operator`, `if_statement`),
//!   for every named node that has children, in pre-order;
//! * an **anonymous node** of the grammar: keywords and operators (`is`, `==`,
//!   `+`, `return`, `await`). Pure punctuation (brackets, commas, semicolons,
//!   dots, colons, quotes) is dropped: the node kinds already carry the
//!   structure it delimits;
//! * a **vocabulary name**: an identifier (or other leaf) whose text is a
//!   public API name listed in the language's vocabulary (`execute`, `md5`).
//!   A vocabulary lists *globals*, kept wherever they appear (`len`,
//!   `println`), and *members*, kept only where the code names a member of
//!   something (after `.`, `->`, `::`), names an argument (`shell=True`),
//!   imports it, or uses a name it imported. So `cursor = db.cursor()` keeps
//!   the second `cursor` and abstracts the first: a local variable's name is
//!   the user's choice even when it happens to be an API word. Likewise a
//!   global the file binds as a parameter or an assignment or loop target
//!   (`type`, `input`) is abstracted from that binding on;
//! * an **abstract name**: any other identifier. The stream records which
//!   abstract names are the same name, so data flow survives renaming; the
//!   text itself is dropped. Names of members and arguments (`self.x`,
//!   `f(x=...)`) are numbered apart from plain names, so a copy that renames
//!   the local `x` but keeps the field `x` stays linked the same way;
//! * a **literal kind** (`string`, `integer`) for every literal, whatever its
//!   value. Code inside string interpolations (`f"{x}"`, `` `${x}` ``) is
//!   walked like any other code.
//!
//! Comments and layout never produce tokens. No text of the source reaches a
//! token unless it is in the vocabulary: kinds are the grammar's fixed names,
//! never the source's bytes.
//!
//! The walk is iterative (a tree cursor and a small stack), so nesting depth
//! costs heap, not call stack; [`crate::Limits::max_depth`] bounds it anyway.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use tree_sitter::{Node, ParseOptions, Parser, Tree, TreeCursor};
use xxhash_rust::xxh3::xxh3_64;

use crate::Limits;
use crate::error::FingerprintError;
use crate::language::Language;
use crate::vocab::{Entry, Vocabulary};

/// A normalized token stream with its local line map.
///
/// This is the input of k-gram hashing. It is also useful on its own for
/// showing a user what the abstraction keeps ([`Normalized::render`]); it
/// never leaves the machine.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub(crate) language: Language,
    pub(crate) tokens: Vec<Token>,
    /// How many distinct abstract names the stream has.
    pub(crate) name_count: u32,
    /// Whether the parser had to recover from syntax errors.
    pub(crate) syntax_errors: bool,
}

/// One token. `symbol` indexes the language's code table (kind ids, error
/// nodes, vocabulary names) or is [`ABSTRACT`]; `name` numbers abstract names
/// in order of first appearance in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) symbol: u32,
    pub(crate) name: u32,
    /// 1-based line of the token's first byte.
    pub(crate) line: u32,
    /// 1-based line of the last byte of the token's node: for a node kind,
    /// where the whole construct ends.
    pub(crate) end_line: u32,
}

/// The `symbol` of an abstract name.
pub(crate) const ABSTRACT: u32 = u32::MAX;

/// How the normalizer treats a node kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Emit the kind (named nodes) or the keyword/operator (anonymous nodes).
    Plain,
    /// Emit nothing for the node and its subtree.
    Skip,
    /// Emit the kind; inside, only interpolations produce tokens.
    Literal,
    /// Code embedded in a literal: emit the kind and walk it normally.
    Interpolation,
    /// A name: vocabulary name if listed, abstract otherwise.
    Identifier,
}

/// What the walk needs to know about a node kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindInfo {
    pub(crate) class: Class,
    pub(crate) named: bool,
    /// An operator that selects a member: `.`, `->`, `::`, `?.`.
    member_access: bool,
    /// An import, `use` or `using` construct: names inside are imported.
    import: bool,
    /// A node whose first child names an argument or field
    /// (`keyword_argument` in `f(shell=True)`).
    names_argument: bool,
    /// A node whose identifier children all bind a name (`parameters`,
    /// `tuple_pattern`).
    binds_children: bool,
    /// A node whose first child, when an identifier, binds a name
    /// (`assignment`, `default_parameter`, `variable_declarator`).
    binds_first: bool,
    /// The `for` keyword: the identifier after it binds a name.
    for_keyword: bool,
}

/// The kind id no node has; stands for "no previous sibling".
const NO_KIND: u16 = u16::MAX - 1;

/// Per-language tables, built once per process.
pub(crate) struct Grammar {
    pub(crate) lang: Language,
    pub(crate) language: tree_sitter::Language,
    /// What the walk needs to know about each kind id.
    pub(crate) kinds: Vec<KindInfo>,
    /// Token codes by symbol: every kind id, error nodes, then every
    /// vocabulary name.
    pub(crate) codes: Vec<u64>,
    pub(crate) kind_count: u32,
    pub(crate) vocabulary: &'static Vocabulary,
}

impl Normalized {
    /// The language the stream was built for.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the parser recovered from syntax errors (the stream then
    /// holds `ERROR` kinds where it skipped text).
    pub fn has_syntax_errors(&self) -> bool {
        self.syntax_errors
    }

    /// Whether the stream has no tokens (empty or comment-only source).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The tokens as text, one line of output per source line: node kinds
    /// bare (`call`), keywords and operators quoted (`'=='`), vocabulary names
    /// with `@` (`@execute`), abstract names as `$1`, `$2` in order of first
    /// appearance, literals as `#kind` (`#string`).
    pub fn render(&self) -> String {
        let grammar = Grammar::of(self.language);
        let mut out = String::new();
        let mut line = None;
        for token in &self.tokens {
            if line != Some(token.line) {
                if line.is_some() {
                    out.push('\n');
                }
                let _ = write!(out, "{:>5}:", token.line);
                line = Some(token.line);
            }
            out.push(' ');
            out.push_str(&grammar.symbol_text(token));
        }
        out
    }
}

impl Grammar {
    /// The tables of `language`.
    pub(crate) fn of(language: Language) -> &'static Grammar {
        static CACHE: [OnceLock<Grammar>; Language::ALL.len()] =
            [const { OnceLock::new() }; Language::ALL.len()];
        CACHE[language.index()].get_or_init(|| Grammar::build(language))
    }

    fn build(language: Language) -> Grammar {
        let grammar = language.grammar();
        let vocabulary = Vocabulary::of(language);
        let kind_count = grammar.node_kind_count();
        let mut kinds = Vec::with_capacity(kind_count);
        let mut codes = Vec::with_capacity(kind_count + vocabulary.names.len());
        for id in 0..kind_count {
            let id = u16::try_from(id).expect("tree-sitter kind ids are u16");
            let kind = grammar.node_kind_for_id(id).unwrap_or("");
            let named = grammar.node_kind_is_named(id);
            let class = classify(language, kind, named);
            let tag = match (named, class) {
                (_, Class::Literal) => "literal",
                (true, _) => "kind",
                (false, _) => "token",
            };
            kinds.push(KindInfo {
                class,
                named,
                member_access: !named && matches!(kind, "." | "->" | "::" | "?." | ".*" | "->*"),
                import: named
                    && (kind.contains("import")
                        || matches!(kind, "use_declaration" | "using_directive")),
                names_argument: named
                    && matches!(
                        kind,
                        "keyword_argument" | "name_colon" | "pair" | "field_initializer"
                    ),
                binds_children: named
                    && matches!(
                        kind,
                        "parameters"
                            | "lambda_parameters"
                            | "typed_parameter"
                            | "list_splat_pattern"
                            | "dictionary_splat_pattern"
                            | "pattern_list"
                            | "tuple_pattern"
                            | "list_pattern"
                            | "as_pattern_target"
                            | "formal_parameters"
                            | "parameter_declaration"
                    ),
                binds_first: named
                    && matches!(
                        kind,
                        "assignment"
                            | "augmented_assignment"
                            | "default_parameter"
                            | "typed_default_parameter"
                            | "named_expression"
                            | "variable_declarator"
                            | "init_declarator"
                            | "assignment_pattern"
                    ),
                for_keyword: !named && kind == "for",
            });
            codes.push(code(tag, kind));
        }
        // The symbol right after the kinds stands for error nodes, whose kind
        // id (u16::MAX) is outside the table.
        codes.push(code("kind", "ERROR"));
        codes.extend(vocabulary.names.iter().map(|name| code("name", name)));
        Grammar {
            lang: language,
            language: grammar,
            kinds,
            codes,
            kind_count: kind_count as u32,
            vocabulary,
        }
    }

    /// The kind's info; error nodes and out-of-table ids are plain named
    /// kinds.
    pub(crate) fn kind(&self, kind_id: u16) -> KindInfo {
        self.kinds
            .get(usize::from(kind_id))
            .copied()
            .unwrap_or(KindInfo {
                class: Class::Plain,
                named: true,
                member_access: false,
                import: false,
                names_argument: false,
                binds_children: false,
                binds_first: false,
                for_keyword: false,
            })
    }

    /// How [`Normalized::render`] shows a token; abstract names are numbered
    /// by the caller-visible `name`, which is already in order of appearance.
    pub(crate) fn symbol_text(&self, token: &Token) -> String {
        if token.symbol == ABSTRACT {
            return format!("${}", token.name + 1);
        }
        if token.symbol == self.kind_count {
            return "ERROR".to_string();
        }
        if token.symbol > self.kind_count {
            let idx = (token.symbol - self.kind_count - 1) as usize;
            return format!("@{}", self.vocabulary.names.get(idx).unwrap_or(&"?"));
        }
        let id = u16::try_from(token.symbol).unwrap_or(u16::MAX);
        let kind = self.language.node_kind_for_id(id).unwrap_or("?");
        match (self.kind(id).class, self.language.node_kind_is_named(id)) {
            (Class::Literal, _) => format!("#{kind}"),
            (_, true) => kind.to_string(),
            (_, false) => format!("'{kind}'"),
        }
    }
}

/// A token code: a 64-bit hash of a tagged, grammar-fixed string.
pub(crate) fn code(tag: &str, text: &str) -> u64 {
    let mut bytes = Vec::with_capacity(tag.len() + 1 + text.len());
    bytes.extend_from_slice(tag.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(text.as_bytes());
    xxh3_64(&bytes)
}

/// Normalizes a source file. See the module documentation for what survives.
pub fn normalize(
    language: Language,
    source: &[u8],
    limits: &Limits,
) -> Result<Normalized, FingerprintError> {
    let text = check_source(source, limits)?;
    let grammar = Grammar::of(language);
    let tree = parse(language, grammar, text, limits)?;
    walk(language, grammar, &tree, text.as_bytes(), limits)
}

/// Rejects input the engine will not parse: too large, binary, not UTF-8.
/// Strips a UTF-8 byte-order mark.
fn check_source<'a>(source: &'a [u8], limits: &Limits) -> Result<&'a str, FingerprintError> {
    if source.len() > limits.max_bytes {
        return Err(FingerprintError::TooLarge {
            size: source.len(),
            limit: limits.max_bytes,
        });
    }
    // The same heuristic as git: a NUL byte early on means binary.
    let head = &source[..source.len().min(8000)];
    if let Some(offset) = head.iter().position(|byte| *byte == 0) {
        return Err(FingerprintError::Binary { offset });
    }
    let text = std::str::from_utf8(source).map_err(|error| FingerprintError::InvalidUtf8 {
        offset: error.valid_up_to(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

thread_local! {
    /// One parser per thread: creating one allocates, setting a language
    /// does not.
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(Parser::new());
}

fn parse(
    language: Language,
    grammar: &Grammar,
    text: &str,
    limits: &Limits,
) -> Result<Tree, FingerprintError> {
    let bytes = text.as_bytes();
    // The progress callback runs every 100 parser operations, so counting its
    // calls is a deterministic work budget (a clock would make the result
    // depend on the machine's load).
    let budget = limits.parse_budget(bytes.len());
    let mut calls: u64 = 0;
    let mut progress = |_: &tree_sitter::ParseState| {
        calls += 1;
        if calls > budget {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let tree = PARSER.with(|cell| {
        let mut parser = cell.borrow_mut();
        parser
            .set_language(&grammar.language)
            .map_err(|error| FingerprintError::Grammar {
                language,
                message: error.to_string(),
            })?;
        let tree = parser.parse_with_options(
            &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
            None,
            Some(ParseOptions::new().progress_callback(&mut progress)),
        );
        // A cancelled parse leaves state behind that the next parse would
        // try to resume; start clean.
        parser.reset();
        Ok(tree)
    })?;
    tree.ok_or(FingerprintError::ParseBudgetExceeded { budget })
}

/// The walk's state for one file.
struct Walk<'a> {
    grammar: &'static Grammar,
    source: &'a [u8],
    tokens: Vec<Token>,
    /// Every distinct text of a named leaf, by text: one hash lookup per
    /// leaf finds all the walk knows about its text.
    texts: FxHashMap<&'a [u8], u32>,
    /// What is known about each text of `texts`, by its index there.
    facts: Vec<TextFacts>,
    /// How many distinct abstract names were numbered.
    name_count: u32,
    /// Nodes whose subtree is in literal mode (`true`) or back in normal
    /// mode (`false`, an interpolation), by depth.
    modes: Vec<(usize, bool)>,
    /// The kind of the node last visited at each depth: the parent of the
    /// current node one level up, its previous sibling (or [`NO_KIND`]) at
    /// its own level.
    path: Vec<u16>,
    /// Depth of the import construct being walked, if any.
    import_at: Option<usize>,
}

/// What the walk knows about one leaf text of the file.
#[derive(Debug, Clone, Copy)]
struct TextFacts {
    /// Its vocabulary entry, if listed.
    entry: Option<Entry>,
    /// A member name this file imported.
    imported: bool,
    /// A name the file binds (parameters, assignment and loop targets):
    /// from there on it is the user's, even when the vocabulary lists it
    /// (`type`, `id`, `input` as local variables).
    bound: bool,
    /// Its abstract name as a plain name and as a member or argument name
    /// (a member `x` in `self.x` is another variable than a local `x`), or
    /// [`NO_NAME`] before its first use as such.
    names: [u32; 2],
}

/// No abstract name yet.
const NO_NAME: u32 = u32::MAX;

fn walk(
    language: Language,
    grammar: &'static Grammar,
    tree: &Tree,
    source: &[u8],
    limits: &Limits,
) -> Result<Normalized, FingerprintError> {
    let root = tree.root_node();
    let mut state = Walk {
        grammar,
        source,
        // About one token per ten bytes of typical code.
        tokens: Vec::with_capacity(source.len() / 8),
        texts: FxHashMap::default(),
        facts: Vec::new(),
        name_count: 0,
        modes: Vec::new(),
        path: vec![root.kind_id()],
        import_at: None,
    };
    let mut cursor: TreeCursor<'_> = tree.walk();
    // How many visible siblings follow the current node at each depth.
    // Knowing it, the walk never asks the cursor for a sibling or a child
    // that is not there: a failed move costs as much as a successful one.
    let mut remaining: Vec<u32> = vec![0];
    let mut depth = 0usize;
    // The root (module, source_file, program) is skipped: it would tie a
    // fingerprint of a line range to whether the range starts at line 1.
    let mut children = root.child_count();
    let mut descend = true;
    loop {
        if descend && children > 0 && cursor.goto_first_child() {
            depth += 1;
            remaining.truncate(depth);
            remaining.push(children - 1);
            if state.path.len() <= depth {
                state.path.push(NO_KIND);
            } else {
                state.path[depth] = NO_KIND;
            }
        } else {
            loop {
                if remaining[depth] > 0 {
                    remaining[depth] -= 1;
                    if cursor.goto_next_sibling() {
                        break;
                    }
                }
                if depth == 0 || !cursor.goto_parent() {
                    return Ok(Normalized {
                        language,
                        tokens: state.tokens,
                        name_count: state.name_count,
                        syntax_errors: root.has_error(),
                    });
                }
                depth -= 1;
            }
        }
        if depth > limits.max_depth {
            return Err(FingerprintError::TooDeep {
                limit: limits.max_depth,
            });
        }
        let node = cursor.node();
        children = node.child_count();
        descend = state.visit(node, children > 0, depth);
        if state.tokens.len() > limits.max_tokens {
            return Err(FingerprintError::TooManyTokens {
                limit: limits.max_tokens,
            });
        }
    }
}

impl<'a> Walk<'a> {
    /// Emits the tokens of `node` itself; returns whether to walk its
    /// children.
    fn visit(&mut self, node: Node<'_>, has_children: bool, depth: usize) -> bool {
        while self.modes.last().is_some_and(|(at, _)| *at >= depth) {
            self.modes.pop();
        }
        if self.import_at.is_some_and(|at| at >= depth) {
            self.import_at = None;
        }
        let kind_id = node.kind_id();
        let info = self.grammar.kind(kind_id);
        let previous = std::mem::replace(&mut self.path[depth], kind_id);
        let in_literal = self.modes.last().is_some_and(|(_, literal)| *literal);
        if in_literal {
            if info.class == Class::Interpolation {
                self.push_kind(node, kind_id);
                self.modes.push((depth, false));
                return true;
            }
            return has_children;
        }
        if info.import && self.import_at.is_none() {
            self.import_at = Some(depth);
        }
        match info.class {
            Class::Skip => false,
            Class::Literal => {
                self.push_kind(node, kind_id);
                self.modes.push((depth, true));
                // Walking a literal's parts only pays when it may hold code.
                has_children && self.may_interpolate(node)
            }
            // Anonymous nodes are single tokens even when the grammar gives
            // them parts (Python's `is not`). Tokens the parser invented to
            // recover from an error (`is_missing`) are not in the source.
            _ if !info.named => {
                if !node.is_missing() {
                    self.push_kind(node, kind_id);
                }
                false
            }
            _ if has_children => {
                self.push_kind(node, kind_id);
                true
            }
            _ => {
                if !node.is_missing() {
                    let parent = self.grammar.kind(self.path[depth - 1]);
                    let member = self.grammar.kind(previous).member_access
                        || (previous == NO_KIND && parent.names_argument);
                    let binding = parent.binds_children
                        || (previous == NO_KIND && parent.binds_first)
                        || self.grammar.kind(previous).for_keyword;
                    let text = self.source.get(node.byte_range()).unwrap_or_default();
                    let facts = self.facts_of(text);
                    if binding && !member && info.class == Class::Identifier {
                        self.facts[facts].bound = true;
                    }
                    self.push_leaf(node, kind_id, info.class, member, facts);
                }
                false
            }
        }
    }

    /// The index in `facts` of `text`, added on its first use.
    fn facts_of(&mut self, text: &'a [u8]) -> usize {
        let next = self.facts.len() as u32;
        let idx = *self.texts.entry(text).or_insert(next);
        if idx == next {
            self.facts.push(TextFacts {
                entry: self.grammar.vocabulary.get(text),
                imported: false,
                bound: false,
                names: [NO_NAME; 2],
            });
        }
        idx as usize
    }

    /// Whether a literal's text can contain an interpolation; `false` only
    /// when it certainly cannot.
    fn may_interpolate(&self, node: Node<'_>) -> bool {
        let text = self.source.get(node.byte_range()).unwrap_or_default();
        let contains = |needle: &[u8]| text.windows(needle.len()).any(|it| it == needle);
        match self.grammar.lang {
            Language::Python => {
                let prefix = text
                    .iter()
                    .take_while(|byte| !matches!(byte, b'"' | b'\''))
                    .copied();
                let formatted = prefix.clone().any(|byte| byte == b'f' || byte == b'F');
                formatted || node.kind() == "format_specifier"
            }
            Language::JavaScript | Language::TypeScript | Language::Tsx => contains(b"${"),
            Language::Java => contains(b"\\{"),
            Language::CSharp => contains(b"{"),
            Language::Rust | Language::Go | Language::C | Language::Cpp => false,
        }
    }

    fn push_kind(&mut self, node: Node<'_>, kind_id: u16) {
        let symbol = u32::from(kind_id).min(self.grammar.kind_count);
        self.tokens.push(Token {
            symbol,
            name: 0,
            line: line_of(node),
            end_line: end_line_of(node),
        });
    }

    /// A named leaf: a vocabulary name, an abstract name, or its kind.
    /// `member` tells whether the leaf names a member or an argument;
    /// `facts` indexes what is known about its text.
    fn push_leaf(
        &mut self,
        node: Node<'_>,
        kind_id: u16,
        class: Class,
        member: bool,
        facts: usize,
    ) {
        let line = line_of(node);
        let end_line = end_line_of(node);
        let import = self.import_at.is_some();
        let text = &mut self.facts[facts];
        let bound = class == Class::Identifier && !member && !import && text.bound;
        let listed = text.entry.filter(|entry| {
            if bound {
                return false;
            }
            // Leaves that are not identifiers (`primitive_type`) only ever
            // hold grammar-fixed text, so any listed name is kept.
            entry.global || class != Class::Identifier || member || import || text.imported
        });
        if let Some(entry) = listed {
            if import {
                text.imported = true;
            }
            self.tokens.push(Token {
                symbol: self.grammar.kind_count + 1 + entry.idx,
                name: 0,
                line,
                end_line,
            });
        } else if class == Class::Identifier {
            let name = &mut text.names[usize::from(member)];
            if *name == NO_NAME {
                *name = self.name_count;
                self.name_count += 1;
            }
            self.tokens.push(Token {
                symbol: ABSTRACT,
                name: *name,
                line,
                end_line,
            });
        } else {
            self.push_kind(node, kind_id);
        }
    }
}

fn line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
}

fn end_line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.end_position().row)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
}

/// The class of a node kind in a language. Lists are per grammar; the unit
/// tests check that every kind whose name suggests a literal is listed.
fn classify(language: Language, kind: &str, named: bool) -> Class {
    if !named {
        return if is_punctuation(kind) {
            Class::Skip
        } else {
            Class::Plain
        };
    }
    if kind.contains("comment") || kind == "line_continuation" {
        return Class::Skip;
    }
    if literal_kinds(language).contains(&kind) {
        return Class::Literal;
    }
    if interpolation_kinds(language).contains(&kind) {
        return Class::Interpolation;
    }
    if kind.ends_with("identifier") || matches!(kind, "label_name" | "metavariable") {
        return Class::Identifier;
    }
    Class::Plain
}

/// Anonymous tokens made only of brackets, separators and quotes.
fn is_punctuation(kind: &str) -> bool {
    !kind.is_empty()
        && kind.chars().all(|c| {
            matches!(
                c,
                '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | ':' | '.' | '"' | '\'' | '`'
            )
        })
}

/// Node kinds whose text is a value: abstracted to their kind.
pub(crate) fn literal_kinds(language: Language) -> &'static [&'static str] {
    match language {
        Language::Python => &["string", "integer", "float", "format_specifier"],
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            &["string", "template_string", "number", "regex"]
        }
        Language::Rust => &[
            "string_literal",
            "raw_string_literal",
            "char_literal",
            "integer_literal",
            "float_literal",
        ],
        Language::Go => &[
            "interpreted_string_literal",
            "raw_string_literal",
            "rune_literal",
            "int_literal",
            "float_literal",
            "imaginary_literal",
        ],
        Language::Java => &[
            "string_literal",
            "character_literal",
            "decimal_integer_literal",
            "hex_integer_literal",
            "octal_integer_literal",
            "binary_integer_literal",
            "decimal_floating_point_literal",
            "hex_floating_point_literal",
        ],
        Language::C => &[
            "string_literal",
            "char_literal",
            "number_literal",
            "system_lib_string",
        ],
        Language::Cpp => &[
            "string_literal",
            "char_literal",
            "number_literal",
            "system_lib_string",
            "raw_string_literal",
            "user_defined_literal",
        ],
        Language::CSharp => &[
            "string_literal",
            "verbatim_string_literal",
            "raw_string_literal",
            "interpolated_string_expression",
            "character_literal",
            "integer_literal",
            "real_literal",
            "interpolation_format_clause",
        ],
    }
}

/// Node kinds that hold code inside a literal.
pub(crate) fn interpolation_kinds(language: Language) -> &'static [&'static str] {
    match language {
        Language::Python => &["interpolation", "format_expression"],
        Language::JavaScript | Language::TypeScript | Language::Tsx => &["template_substitution"],
        Language::Java => &["string_interpolation"],
        Language::CSharp => &["interpolation"],
        Language::Rust | Language::Go | Language::C | Language::Cpp => &[],
    }
}
