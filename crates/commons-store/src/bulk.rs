//! Multi-row statements: one round trip for many rows, which is what makes
//! batched appends and replays fast on both backends.
//!
//! Capabilities use these in their reducers too.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// Rows bound into one statement. Both backends accept far more parameters
/// than this times the widest table's columns (SQLite 32,766, PostgreSQL
/// 65,535); larger statements stop paying off.
pub const ROWS_PER_STATEMENT: usize = 256;

/// A query of the `Any` driver.
pub type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// How a statement names its parameters. SQLite resolves each numbered
/// parameter (`$n`) by a linear scan, which makes a statement with thousands
/// of them quadratic; anonymous `?` parameters bind in order for free.
/// PostgreSQL only understands `$n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite).
    Anonymous,
}

impl Params {
    /// The style `conn` wants.
    pub fn of(conn: &AnyConnection) -> Params {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Params::Anonymous
        } else {
            Params::Numbered
        }
    }

    /// `n` comma-separated parameters, numbered from `first` when numbered.
    pub fn list(self, first: usize, n: usize) -> String {
        let mut sql = String::with_capacity(n * 5);
        for idx in first..first + n {
            if idx > first {
                sql.push_str(", ");
            }
            match self {
                Params::Numbered => {
                    sql.push('$');
                    sql.push_str(&idx.to_string());
                }
                Params::Anonymous => sql.push('?'),
            }
        }
        sql
    }

    /// `(…), (…)` for `rows` rows of `columns` parameters.
    pub fn rows(self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|row| format!("({})", self.list(row * columns + 1, columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `INSERT INTO`, or on SQLite `INSERT OR FAIL INTO`, for a multi-row
/// statement without an `ON CONFLICT` clause. SQLite keeps a statement
/// journal for a multi-row `INSERT` that may abort halfway (any `NOT NULL`
/// or key constraint may), copying every page the statement touches so it
/// can undo itself alone; `OR FAIL` stops at the failing row instead and
/// needs none. Every caller abandons the transaction on an error, so the
/// rows before the failure are never committed. PostgreSQL has no such
/// clause and no such journal.
pub fn insert_into(conn: &AnyConnection) -> &'static str {
    match Params::of(conn) {
        Params::Anonymous => "INSERT OR FAIL INTO",
        Params::Numbered => "INSERT INTO",
    }
}

/// Runs `head VALUES (…), (…) tail` for `rows` in chunks, binding `columns`
/// values per row with `bind`, which must bind exactly that many.
///
/// `head` is e.g. `INSERT INTO t (a, b)`; `tail` an optional `ON CONFLICT`
/// clause, which may refer to `excluded.column` but not to parameters.
///
/// Each chunk's parameters are bound while the database runs the chunk
/// before: binding (hex ids, copies of texts) costs this task about as much
/// as the insert costs the database, and one waited for the other.
pub async fn insert_rows<T>(
    conn: &mut AnyConnection,
    head: &str,
    tail: &str,
    columns: usize,
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<(), sqlx::Error> {
    let params = Params::of(conn);
    let sql = |n_rows: usize| format!("{head} VALUES {} {tail}", params.rows(n_rows, columns));
    // Two statements at most: full chunks and the last one.
    let full_len = ROWS_PER_STATEMENT.min(rows.len());
    let full = sql(full_len);
    let last = sql(rows.len() % full_len.max(1));
    let statement = |chunk| {
        let sql = if <[T]>::len(chunk) == full_len {
            &full
        } else {
            &last
        };
        bound(sql, chunk, &bind)
    };
    let mut chunks = rows.chunks(ROWS_PER_STATEMENT);
    let Some(first) = chunks.next() else {
        return Ok(());
    };
    let mut query = statement(first);
    for chunk in chunks {
        // The first poll hands the statement to the database (SQLite's
        // worker thread, PostgreSQL's socket); the next is bound meanwhile.
        let (done, next) = futures::join!(query.execute(&mut *conn), async { statement(chunk) });
        done?;
        query = next;
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// `sql` with `rows` bound.
fn bound<'q, T>(
    sql: &'q str,
    rows: &'q [T],
    bind: &impl for<'r> Fn(AnyQuery<'r>, &'r T) -> AnyQuery<'r>,
) -> AnyQuery<'q> {
    rows.iter().fold(sqlx::query(sql), bind)
}
