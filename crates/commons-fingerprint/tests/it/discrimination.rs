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

#[test]
fn shell_true_is_not_shell_false() {
    let template = r#"
import subprocess
def archive(folder, target, level):
    command = "tar -czf " + target + " " + folder
    result = subprocess.run(command, shell={}, check=True)
    if result.returncode != 0:
        raise RuntimeError(level)
    return target
"#;
    check(Language::Python, template, "True", "False", false);
}

#[test]
fn membership_and_negated_tests_differ() {
    check(
        Language::Python,
        PYTHON_FUNCTION,
        "record.owner in attempts",
        "record.owner not in attempts",
        false,
    );
    check(
        Language::Python,
        PYTHON_FUNCTION,
        "record.owner is None",
        "record.owner is not None",
        false,
    );
}

#[test]
fn c_unbounded_copy_is_not_bounded_copy() {
    let template = r#"
int greet(const char *name, char *out, int size) {
    char buffer[64];
    {}(buffer, name);
    if (size > 0) {
        snprintf(out, size, "hello %s", buffer);
    }
    return size;
}
"#;
    check(Language::C, template, "strcpy", "strlen", false);
    check(Language::C, template, "strcpy", "strcpy", true);
}

#[test]
fn go_weak_hash_is_not_strong_hash() {
    let template = r#"
package auth
func digest(password string, salt string, rounds int) []byte {
    value := []byte(salt + password)
    for i := 0; i < rounds; i++ {
        sum := {}.Sum(value)
        value = sum[:]
    }
    return value
}
"#;
    check(Language::Go, template, "md5", "sha256", false);
}

#[test]
fn javascript_concatenated_query_is_not_parameterized() {
    let template = r#"
async function findUser(pool, login, active) {
  const client = await pool.connect();
  const rows = await client.query({});
  client.release();
  return rows.filter((row) => row.active === active);
}
"#;
    check(
        Language::JavaScript,
        template,
        r#""SELECT * FROM users WHERE login = '" + login + "'""#,
        r#""SELECT * FROM users WHERE login = $1", [login]"#,
        false,
    );
}

/// A copy that renames a local but keeps the field of the same name is the
/// same code: fields and locals are different names.
#[test]
fn renaming_a_local_that_shares_a_field_name_keeps_the_fingerprint() {
    let a = "class Box:\n    def __init__(self, size, label, owner):\n        self.size = size\n        self.label = label\n        self.owner = owner\n        self.items = [size, label, owner]\n";
    let b = "class Box:\n    def __init__(self, n, text, who):\n        self.size = n\n        self.label = text\n        self.owner = who\n        self.items = [n, text, who]\n";
    assert_eq!(
        hashes(&print(Language::Python, a)),
        hashes(&print(Language::Python, b))
    );
}

/// The new names avoid the vocabulary: a Go local named like a standard
/// package (`list`, `path`) is kept as that package's name.
#[test]
fn renamed_locals_and_changed_literals_fingerprint_the_same_in_every_language() {
    let pairs: &[(Language, &str, &str)] = &[
        (
            Language::JavaScript,
            "function total(items, rate) { let sum = 0; for (const item of items) { sum += item.price * rate + 3; } console.log('total', sum); return sum > 100 ? sum : 0; }",
            "function grand(list, factor) { let acc = 0; for (const entry of list) { acc += entry.price * factor + 9; } console.log('sum is', acc); return acc > 7 ? acc : 1; }",
        ),
        (
            Language::C,
            "int total(int *items, int n, int rate) { int sum = 0; for (int i = 0; i < n; i++) { sum += items[i] * rate + 3; } printf(\"total %d\\n\", sum); return sum > 100 ? sum : 0; }",
            "int grand(int *list, int len, int factor) { int acc = 0; for (int j = 0; j < len; j++) { acc += list[j] * factor + 9; } printf(\"sum %d\\n\", acc); return acc > 7 ? acc : 1; }",
        ),
        (
            Language::Go,
            "func total(items []int, rate int) int { sum := 0; for _, item := range items { sum += item * rate + 3 }; fmt.Println(\"total\", sum); if sum > 100 { return sum }; return 0 }",
            "func grand(values []int, factor int) int { acc := 0; for _, entry := range values { acc += entry * factor + 9 }; fmt.Println(\"sum\", acc); if acc > 7 { return acc }; return 1 }",
        ),
    ];
    for (language, a, b) in pairs {
        assert_eq!(
            hashes(&print(*language, a)),
            hashes(&print(*language, b)),
            "{language}"
        );
    }
}
