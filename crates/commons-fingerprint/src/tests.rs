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
            let classified = grammar.kinds[id as usize].class == Class::Literal;
            if !(classified || parts_of_literals.contains(&kind) || structural.contains(&kind)) {
                unclassified.push(format!("{language}: {kind}"));
            }
        }
    }
    assert_eq!(unclassified, Vec::<String>::new());
}

#[track_caller]
fn check_render(language: Language, source: &str, expect: &str) {
    let normalized =
        crate::normalize(language, source.as_bytes(), &crate::Limits::default()).unwrap();
    assert_eq!(normalized.render(), expect.trim_matches('\n'));
}

#[test]
fn python_keeps_structure_operators_and_api_names() {
    check_render(
        Language::Python,
        r#"
import hashlib
def find_user(conn, user_id):  # a comment
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE id = " + str(user_id))
    return hashlib.md5(cur.fetchone()).hexdigest() if user_id is not None else 0.5
"#,
        r#"
    2: import_statement 'import' dotted_name @hashlib
    3: function_definition 'def' $1 parameters $2 $3
    4: block expression_statement assignment $4 '=' call attribute $2 @cursor argument_list
    5: expression_statement call attribute $4 @execute argument_list binary_operator #string '+' call @str argument_list $3
    6: return_statement 'return' conditional_expression call attribute call attribute @hashlib @md5 argument_list call attribute $4 @fetchone argument_list @hexdigest argument_list 'if' comparison_operator $3 'is not' @None 'else' #float
"#,
    );
}

#[test]
fn python_walks_code_inside_f_strings_only() {
    check_render(
        Language::Python,
        r#"x = f"id={user!r:>{width}} {'nested'}" + "plain {not_code}""#,
        "    1: expression_statement assignment $1 '=' binary_operator #string interpolation $2 \
         type_conversion #format_specifier format_expression $3 interpolation #string '+' #string",
    );
}

#[test]
fn javascript_template_substitutions_are_code() {
    check_render(
        Language::JavaScript,
        "db.query(`SELECT * FROM t WHERE id = ${req.query.id}`); // done",
        "    1: expression_statement call_expression member_expression $1 @query arguments \
         #template_string template_substitution '${' member_expression member_expression $2 \
         @query $3",
    );
}

#[test]
fn rust_macros_and_paths() {
    check_render(
        Language::Rust,
        "fn main() { let total: u64 = items.iter().sum(); println!(\"{total}\"); }",
        "    1: function_item 'fn' $1 parameters block let_declaration 'let' $2 @u64 '=' \
         call_expression field_expression call_expression field_expression $3 @iter arguments \
         @sum arguments expression_statement macro_invocation @println '!' token_tree \
         #string_literal",
    );
}

#[test]
fn syntax_errors_still_produce_tokens() {
    let source = "def broken(:\n    return eval(payload\nx = 1 +\n";
    let normalized = crate::normalize(
        Language::Python,
        source.as_bytes(),
        &crate::Limits::default(),
    )
    .unwrap();
    let rendered = normalized.render();
    assert!(rendered.contains("ERROR"), "{rendered}");
    assert!(rendered.contains("@eval"), "{rendered}");
}

#[test]
fn comments_and_layout_do_not_matter() {
    let a = "def f(a, b):\n    return a+b\n";
    let b = "def f( a,\n       b ):   # sum\n\n    # really\n    return (a\n            + b)\n";
    let limits = crate::Limits::default();
    let tokens = |source: &str| {
        let normalized = crate::normalize(Language::Python, source.as_bytes(), &limits).unwrap();
        normalized
            .tokens
            .iter()
            .map(|it| (it.symbol, it.name))
            .collect::<Vec<_>>()
    };
    // The parenthesized expression is structure, so it adds one node.
    let (with, without) = (tokens(b), tokens(a));
    assert_eq!(with.len(), without.len() + 1);
}

/// The reference the rolling hash must agree with: each gram coded from
/// scratch, abstract names linked to their previous use inside the gram.
fn naive_gram_hashes(tokens: &[crate::normalize::Token], codes: &[u64], k: usize) -> Vec<u64> {
    use crate::normalize::ABSTRACT;
    let fresh = xxhash_rust::xxh3::xxh3_64(b"abstract\0first");
    let linked = |d: usize| xxhash_rust::xxh3::xxh3_64(format!("abstract\0back {d}").as_bytes());
    let base: u64 = 0x9e37_79b9_7f4a_7c15;
    if tokens.len() < k {
        return Vec::new();
    }
    (0..=tokens.len() - k)
        .map(|start| {
            let gram = &tokens[start..start + k];
            let mut hash = 0u64;
            for (idx, token) in gram.iter().enumerate() {
                let value = if token.symbol == ABSTRACT {
                    match gram[..idx]
                        .iter()
                        .rposition(|it| it.symbol == ABSTRACT && it.name == token.name)
                    {
                        Some(prev) => linked(idx - prev),
                        None => fresh,
                    }
                } else {
                    codes[token.symbol as usize]
                };
                hash = hash.wrapping_mul(base).wrapping_add(value);
            }
            let mut x = hash;
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        })
        .collect()
}

fn token_strategy() -> impl proptest::strategy::Strategy<Value = Vec<crate::normalize::Token>> {
    use proptest::prelude::*;
    proptest::collection::vec((0u32..6, 0u32..5), 0..80).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(symbol, name)| crate::normalize::Token {
                // Symbols 0 and 1 stand for abstract names.
                symbol: if symbol < 2 {
                    crate::normalize::ABSTRACT
                } else {
                    symbol
                },
                name,
                line: 1,
                end_line: 1,
            })
            .collect()
    })
}

proptest::proptest! {
    #[test]
    fn rolling_hash_equals_hashing_each_gram(tokens in token_strategy(), k in 1usize..12) {
        let codes: Vec<u64> = (0..8u64).map(|it| it.wrapping_mul(0x1234_5678_9abc_def1) ^ 77).collect();
        let rolling = crate::winnow::gram_hashes(&tokens, &codes, 5, k);
        proptest::prop_assert_eq!(rolling, naive_gram_hashes(&tokens, &codes, k));
    }

    #[test]
    fn renaming_abstract_names_keeps_every_hash(tokens in token_strategy(), shift in 1u32..4) {
        let codes: Vec<u64> = (0..8u64).map(|it| it.wrapping_mul(0x1234_5678_9abc_def1)).collect();
        let renamed: Vec<_> = tokens
            .iter()
            .map(|it| crate::normalize::Token { name: (it.name + shift) % 5, ..*it })
            .collect();
        proptest::prop_assert_eq!(
            crate::winnow::gram_hashes(&tokens, &codes, 5, 6),
            crate::winnow::gram_hashes(&renamed, &codes, 5, 6)
        );
    }

    #[test]
    fn winnowing_selects_every_window_minimum(hashes in proptest::collection::vec(0u64..50, 0..200), window in 1usize..10) {
        let selected = crate::winnow::winnow(&hashes, window);
        let mut sorted = selected.clone();
        sorted.dedup();
        proptest::prop_assert_eq!(&sorted, &selected);
        proptest::prop_assert!(selected.windows(2).all(|it| it[0] < it[1]));
        if hashes.len() >= window {
            for start in 0..=hashes.len() - window {
                let chunk = &hashes[start..start + window];
                let min = *chunk.iter().min().unwrap();
                let rightmost = start + chunk.iter().rposition(|it| *it == min).unwrap();
                proptest::prop_assert!(selected.contains(&(rightmost as u32)));
            }
        } else if !hashes.is_empty() {
            proptest::prop_assert_eq!(selected.len(), 1);
        }
    }

    #[test]
    fn rewinnowing_a_small_window_equals_winnowing_with_a_large_one(
        hashes in proptest::collection::vec(0u64..50, 0..200),
        small in 1usize..6,
        extra in 0usize..8,
    ) {
        let large = small + extra;
        let selected: Vec<(u32, u64)> = crate::winnow::winnow(&hashes, small)
            .into_iter()
            .map(|position| (position, hashes[position as usize]))
            .collect();
        proptest::prop_assert_eq!(
            crate::winnow::winnow_sparse(&selected, hashes.len(), large),
            crate::winnow::winnow(&hashes, large)
        );
    }
}

#[test]
fn api_words_used_as_local_names_are_abstracted() {
    check_render(
        Language::Python,
        "import pickle\nfrom json import loads\ncursor = db.cursor()\n\
         profile = pickle.loads(loads(raw))\nsubprocess.run(cmd, shell=True)\n",
        "    1: import_statement 'import' dotted_name @pickle
    2: import_from_statement 'from' dotted_name @json 'import' dotted_name @loads
    3: expression_statement assignment $1 '=' call attribute $2 @cursor argument_list
    4: expression_statement assignment $3 '=' call attribute @pickle @loads argument_list call @loads argument_list $4
    5: expression_statement call attribute $5 @run argument_list $6 keyword_argument @shell '=' @True",
    );
}

/// Python files of the standard library (every `step`-th one unless
/// `COMMONS_FINGERPRINT_CORPUS_TESTS=1`), or none when it is missing.
fn stdlib_sample(step: usize) -> Vec<String> {
    let full = std::env::var("COMMONS_FINGERPRINT_CORPUS_TESTS").is_ok_and(|it| it == "1");
    let root = std::env::var_os("COMMONS_PYTHON_STDLIB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/root/.pyenv/versions/3.11.7/lib/python3.11".into());
    if !root.join("os.py").is_file() {
        assert!(!full, "no Python standard library at {}", root.display());
        eprintln!("note: no Python standard library; corpus check skipped");
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "test" | "tests" | "idle_test" | "site-packages" | "__pycache__"
                ) {
                    stack.push(path);
                }
            } else if name.ends_with(".py") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .step_by(if full { 1 } else { step })
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect()
}

/// No two distinct normalized grams of the standard library share a 64-bit
/// hash. A gram's identity is its exact content: each token's code, or
/// for an abstract name whether it is fresh in the gram or how far back its
/// previous use is, hashed to 256 bits.
#[test]
fn distinct_grams_of_the_standard_library_have_distinct_hashes() {
    use crate::normalize::ABSTRACT;
    use crate::winnow::gram_hashes;
    let k = crate::DEFAULT_K as usize;
    let grammar = Grammar::of(Language::Python);
    let mut seen: rustc_hash::FxHashMap<u64, [u8; 32]> = rustc_hash::FxHashMap::default();
    let mut grams = 0usize;
    for text in stdlib_sample(40) {
        let Ok(normalized) =
            crate::normalize(Language::Python, text.as_bytes(), &Default::default())
        else {
            continue;
        };
        let tokens = &normalized.tokens;
        let hashes = gram_hashes(tokens, &grammar.codes, normalized.name_count, k);
        // Distance back to the previous use of the same abstract name.
        let mut back = vec![0usize; tokens.len()];
        let mut last: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
        for (idx, token) in tokens.iter().enumerate() {
            if token.symbol == ABSTRACT
                && let Some(prev) = last.insert(token.name, idx)
            {
                back[idx] = idx - prev;
            }
        }
        for (start, hash) in hashes.iter().enumerate() {
            let mut identity = blake3::Hasher::new();
            for j in start..start + k {
                let token = &tokens[j];
                // Symbols by their code: kinds the grammar lists twice under
                // one name are one token (`token_codes_are_distinct` checks
                // that distinct names have distinct codes).
                let code: (u8, u64) = if token.symbol != ABSTRACT {
                    (0, grammar.codes[token.symbol as usize])
                } else if back[j] != 0 && j - back[j] >= start {
                    (1, back[j] as u64)
                } else {
                    (2, 0)
                };
                identity.update(&[code.0]);
                identity.update(&code.1.to_le_bytes());
            }
            let identity = *identity.finalize().as_bytes();
            grams += 1;
            let previous = *seen.entry(*hash).or_insert(identity);
            assert_eq!(
                previous, identity,
                "two distinct grams share the hash {hash:016x}"
            );
        }
    }
    eprintln!("{grams} grams, {} distinct, no shared hash", seen.len());
}

/// Token codes of every language are distinct, so distinct symbols never
/// hash alike.
#[test]
fn token_codes_are_distinct() {
    for language in Language::ALL {
        let codes = &Grammar::of(language).codes;
        let distinct: std::collections::HashSet<u64> = codes.iter().copied().collect();
        // Kinds may repeat a name (a keyword that is also a named kind has
        // two ids but the same text and tag): those share a code on purpose.
        let grammar = Grammar::of(language);
        let mut texts = std::collections::HashSet::new();
        for token in 0..codes.len() as u32 {
            texts.insert(grammar.symbol_text(&crate::normalize::Token {
                symbol: token,
                name: 0,
                line: 0,
                end_line: 0,
            }));
        }
        assert!(
            distinct.len() >= texts.len(),
            "{language}: {} codes for {} distinct token texts",
            distinct.len(),
            texts.len()
        );
    }
}
