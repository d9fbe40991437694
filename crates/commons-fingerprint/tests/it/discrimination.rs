//! Code that means something different fingerprints differently; the same
//! code under other names and values fingerprints the same.

use commons_fingerprint::Language;

use crate::{hashes, print};

#[track_caller]
fn check(language: Language, template: &str, a: &str, b: &str, expect_same: bool) {
    let first = print(language, &template.replace("{}", a));
    let second = print(language, &template.replace("{}", b));
    assert!(
        !first.grams.is_empty(),
        "the template is shorter than a gram"
    );
    assert_eq!(
        hashes(&first) == hashes(&second),
        expect_same,
        "`{a}` vs `{b}` should {}fingerprint the same",
        if expect_same { "" } else { "not " }
    );
}

const PYTHON_FUNCTION: &str = r#"
def refresh(session, record, attempts):
    if {}:
        record.status = "stale"
        for attempt in range(attempts):
            session.add(record)
            session.flush()
    return record
"#;

#[test]
fn equality_is_not_identity() {
    check(
        Language::Python,
        PYTHON_FUNCTION,
        "record.owner == None",
        "record.owner is None",
        false,
    );
}

#[test]
fn plus_is_not_minus() {
    check(
        Language::Python,
        PYTHON_FUNCTION,
        "attempts + record.age > 3",
        "attempts - record.age > 3",
        false,
    );
}

#[test]
fn weak_hash_is_not_strong_hash() {
    let template = r#"
import hashlib
def digest_password(password, salt, rounds):
    value = salt + password
    for _ in range(rounds):
        value = hashlib.{}(value.encode()).hexdigest()
    return value
"#;
    check(Language::Python, template, "md5", "sha256", false);
}

#[test]
fn concatenated_query_is_not_parameterized_query() {
    let template = r#"
def find_orders(connection, customer):
    cursor = connection.cursor()
    cursor.execute({})
    rows = cursor.fetchall()
    cursor.close()
    return rows
"#;
    check(
        Language::Python,
        template,
        r#""SELECT * FROM orders WHERE customer = '" + customer + "'""#,
        r#""SELECT * FROM orders WHERE customer = %s", (customer,)"#,
        false,
    );
}

/// `connection` and `cursor` are vocabulary names (Django's), so they stay.
#[test]
fn renamed_locals_and_changed_literals_fingerprint_the_same() {
    let a = r#"
def find_orders(connection, customer):
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM orders WHERE customer = '" + customer + "'")
    rows = cursor.fetchmany(50)
    cursor.close()
    return rows or "none"
"#;
    let b = r#"
def lookup_purchases(connection, client_name):
    cursor = connection.cursor()
    cursor.execute("SELECT id FROM purchases WHERE who = '" + client_name + "' LIMIT 1")
    found = cursor.fetchmany(7)
    cursor.close()
    return found or "nothing at all"
"#;
    assert_eq!(
        hashes(&print(Language::Python, a)),
        hashes(&print(Language::Python, b))
    );
}

#[test]
fn renaming_must_be_consistent_to_keep_the_fingerprint() {
    // `b` uses one name where `a` uses two: the data flow differs.
    let a = "def f(x, y):\n    total = x * 2 + y * 3 - x / y\n    print(total, x, y)\n    return total\n";
    let b = "def f(x, y):\n    total = x * 2 + x * 3 - x / y\n    print(total, x, y)\n    return total\n";
    assert_ne!(
        hashes(&print(Language::Python, a)),
        hashes(&print(Language::Python, b))
    );
}

#[test]
fn javascript_inner_html_is_not_text_content() {
    let template = r#"
function render(element, comment, author) {
  const header = document.createElement("h2");
  header.textContent = author.name;
  element.appendChild(header);
  element.{} = comment.body;
  return element;
}
"#;
    check(
        Language::JavaScript,
        template,
        "innerHTML",
        "textContent",
        false,
    );
    check(
        Language::JavaScript,
        template,
        "innerHTML",
        "innerHTML",
        true,
    );
}

#[test]
fn rust_unwrap_is_not_question_mark() {
    let template = r#"
fn load(path: &Path, limit: usize) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path){};
    if text.len() > limit {
        return Err(Error::TooLarge);
    }
    Ok(parse(&text))
}
"#;
    check(Language::Rust, template, ".unwrap()", "?", false);
}

#[test]
fn every_language_discriminates_operators() {
    let cases: &[(Language, &str)] = &[
        (
            Language::JavaScript,
            "function f(a, b, c) { let d = a {} b; if (d > c) { d = c; } console.log(a, b, c, d); return d; }",
        ),
        (
            Language::TypeScript,
            "function f(a: number, b: number, c: number): number { let d = a {} b; if (d > c) { d = c; } console.log(a, b, c, d); return d; }",
        ),
        (
            Language::Tsx,
            "function f(a: number, b: number, c: number) { let d = a {} b; if (d > c) { d = c; } return <div>{d}</div>; }",
        ),
        (
            Language::Rust,
            "fn f(a: i64, b: i64, c: i64) -> i64 { let mut d = a {} b; if d > c { d = c; } println!(\"{:?}\", (a, b, c)); d }",
        ),
        (
            Language::Go,
            "func f(a int, b int, c int) int { d := a {} b; if d > c { d = c }; fmt.Println(a, b, c, d); return d }",
        ),
        (
            Language::Java,
            "class K { int f(int a, int b, int c) { int d = a {} b; if (d > c) { d = c; } System.out.println(a + b + c); return d; } }",
        ),
        (
            Language::C,
            "int f(int a, int b, int c) { int d = a {} b; if (d > c) { d = c; } printf(\"%d %d %d\", a, b, c); return d; }",
        ),
        (
            Language::Cpp,
            "int f(int a, int b, int c) { auto d = a {} b; if (d > c) { d = c; } std::cout << a << b << c; return d; }",
        ),
        (
            Language::CSharp,
            "class K { int F(int a, int b, int c) { var d = a {} b; if (d > c) { d = c; } Console.WriteLine(a + b + c); return d; } }",
        ),
    ];
    for (language, template) in cases {
        check(*language, template, "+", "-", false);
        check(*language, template, "+", "+", true);
    }
}
