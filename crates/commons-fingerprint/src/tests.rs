//! Unit tests: languages, vocabularies, normalizer, winnowing.

use crate::language::Language;
use crate::normalize::{Class, Grammar, interpolation_kinds, literal_kinds};

#[track_caller]
fn check_name(name: &str, expect: Option<Language>) {
    assert_eq!(Language::from_name(name).ok(), expect, "{name}");
}

#[test]
fn names_and_aliases() {
    check_name("python", Some(Language::Python));
    check_name("py", Some(Language::Python));
    check_name("JS", Some(Language::JavaScript));
    check_name("ts", Some(Language::TypeScript));
    check_name("tsx", Some(Language::Tsx));
    check_name("rs", Some(Language::Rust));
    check_name("golang", Some(Language::Go));
    check_name("java", Some(Language::Java));
    check_name("c", Some(Language::C));
    check_name("c++", Some(Language::Cpp));
    check_name("c#", Some(Language::CSharp));
    check_name(" csharp ", Some(Language::CSharp));
    check_name("cobol", None);
    check_name("", None);
}

#[test]
fn canonical_names_round_trip() {
    for language in Language::ALL {
        assert_eq!(Language::from_name(language.name()), Ok(language));
        assert_eq!(language.to_string().parse::<Language>(), Ok(language));
    }
}

#[test]
fn unknown_language_lists_the_known_ones() {
    let error = Language::from_name("cobol").unwrap_err();
    assert_eq!(error.name, "cobol");
    assert!(error.to_string().contains("python, javascript"), "{error}");
}

#[track_caller]
fn check_path(path: &str, expect: Option<Language>) {
    assert_eq!(Language::from_path(path), expect, "{path}");
}

#[test]
fn detection_by_extension() {
    check_path("src/app.py", Some(Language::Python));
    check_path("stubs/os.pyi", Some(Language::Python));
    check_path("web/index.mjs", Some(Language::JavaScript));
    check_path("App.jsx", Some(Language::JavaScript));
    check_path("lib.d.ts", Some(Language::TypeScript));
    check_path("View.TSX", Some(Language::Tsx));
    check_path("main.rs", Some(Language::Rust));
    check_path("main.go", Some(Language::Go));
    check_path("Main.java", Some(Language::Java));
    check_path("x.c", Some(Language::C));
    check_path("x.h", Some(Language::C));
    check_path("x.hpp", Some(Language::Cpp));
    check_path("x.cc", Some(Language::Cpp));
    check_path("Program.cs", Some(Language::CSharp));
    check_path(r"C:\src\Program.cs", Some(Language::CSharp));
    check_path("Makefile", None);
    check_path(".py", None);
    check_path("notes.txt", None);
    check_path("archive.tar.gz", None);
}

#[test]
fn every_grammar_loads() {
    for language in Language::ALL {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&language.grammar())
            .unwrap_or_else(|error| panic!("{language}: {error}"));
        let tree = parser.parse("", None).expect("a language is set");
        assert!(!tree.root_node().has_error(), "{language}");
    }
}

/// The grammar versions written into fingerprints are the ones Cargo.lock
/// resolved; a `cargo update` that moves a grammar fails here until the
/// constant (and so the scheme) is updated.
#[test]
fn grammar_versions_match_the_lock_file() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
        .expect("Cargo.lock at the workspace root");
    for language in Language::ALL {
        let version = language.grammar_version();
        let mut parts = version.split(' ');
        let (krate, number) = (parts.next().unwrap(), parts.next().unwrap());
        let entry = format!("name = \"{krate}\"\nversion = \"{number}\"");
        assert!(
            lock.contains(&entry),
            "{language}: {version} is not in Cargo.lock"
        );
    }
}

#[test]
fn vocabularies_parse_cleanly() {
    assert_eq!(crate::vocab::problems(), vec![]);
    for language in Language::ALL {
        let vocabulary = crate::vocab::Vocabulary::of(language);
        assert!(vocabulary.names.len() > 100, "{language}");
        assert!(vocabulary.version.ends_with(" 1"), "{}", vocabulary.version);
    }
}

#[track_caller]
fn check_vocabulary(language: Language, name: &str, expect: bool) {
    let listed = crate::vocab::Vocabulary::of(language)
        .get(name.as_bytes())
        .is_some();
    assert_eq!(listed, expect, "{language}: {name}");
}

#[test]
fn vocabularies_keep_api_names_not_local_names() {
    check_vocabulary(Language::Python, "execute", true);
    check_vocabulary(Language::Python, "cursor", true);
    check_vocabulary(Language::Python, "pickle", true);
    check_vocabulary(Language::Python, "loads", true);
    check_vocabulary(Language::Python, "md5", true);
    check_vocabulary(Language::Python, "sha256", true);
    check_vocabulary(Language::Python, "subprocess", true);
    check_vocabulary(Language::Python, "requests", true);
    check_vocabulary(Language::Python, "django", true);
    check_vocabulary(Language::Python, "data", false);
    check_vocabulary(Language::Python, "result", false);
    check_vocabulary(Language::Python, "user_id", false);
    check_vocabulary(Language::TypeScript, "innerHTML", true);
    check_vocabulary(Language::Rust, "unwrap", true);
    check_vocabulary(Language::Go, "Sprintf", true);
    check_vocabulary(Language::Java, "executeQuery", true);
    check_vocabulary(Language::Cpp, "strcpy", true);
    check_vocabulary(Language::Cpp, "make_unique", true);
    check_vocabulary(Language::C, "make_unique", false);
    check_vocabulary(Language::CSharp, "ExecuteReader", true);
}

/// Every literal and interpolation kind the normalizer lists exists in its
/// grammar, so a renamed kind in a grammar update cannot silently turn a
/// literal into text that is walked as code.
#[test]
fn listed_kinds_exist_in_their_grammars() {
    for language in Language::ALL {
        let grammar = Grammar::of(language);
        let named: Vec<&str> = (0..grammar.kind_count)
            .map(|id| id as u16)
            .filter(|id| grammar.language.node_kind_is_named(*id))
            .filter_map(|id| grammar.language.node_kind_for_id(id))
            .collect();
        for kind in literal_kinds(language)
            .iter()
            .chain(interpolation_kinds(language))
        {
            assert!(named.contains(kind), "{language}: no kind `{kind}`");
        }
    }
}

/// Kinds whose names suggest a value must be literals, or parts of one
/// (only reached in literal mode), or be known not to hold source text.
#[test]
fn kinds_that_look_like_literals_are_classified() {
    let parts_of_literals = [
        "string_content",
        "string_start",
        "string_end",
        "string_fragment",
        "escape_sequence",
        "escape_interpolation",
        "interpreted_string_literal_content",
        "raw_string_literal_content",
        "raw_string_content",
        "raw_string_delimiter",
        "raw_string_start",
        "raw_string_end",
        "string_literal_content",
        "string_literal_encoding",
        "character_literal_content",
        "multiline_string_fragment",
        "regex_pattern",
        "regex_flags",
        "literal_suffix",
        "character",
        "html_character_reference",
    ];
    let structural = [
        "concatenated_string",
        "boolean_literal",
        "null_literal",
        "negative_literal",
        "composite_literal",
        "func_literal",
        "literal_element",
        "literal_value",
        "literal_type",
        "template_literal_type",
        "class_literal",
        "compound_literal_expression",
        "interpolation_brace",
        "interpolation_start",
        "interpolation_quote",
        "interpolation_alignment_clause",
        "literal",
        "string_interpolation",
        "template_substitution",
        "interpolation",
        "format_expression",
        "template_string",
        "string_type",
        "floating_point_type",
    ];
    let mut unclassified = Vec::new();
    for language in Language::ALL {
        let grammar = Grammar::of(language);
        for id in 0..grammar.kind_count as u16 {
            if !grammar.language.node_kind_is_named(id) {
                continue;
            }
            let kind = grammar.language.node_kind_for_id(id).unwrap_or("");
            let suggestive = [
                "string", "literal", "number", "integer", "float", "char", "regex",
            ]
            .iter()
            .any(|word| kind.contains(word));
            if !suggestive || kind.starts_with('_') {
                continue;
            }
            let classified = grammar.classes[id as usize] == Class::Literal;
            if !(classified || parts_of_literals.contains(&kind) || structural.contains(&kind)) {
                unclassified.push(format!("{language}: {kind}"));
            }
        }
    }
    assert_eq!(unclassified, Vec::<String>::new());
}
