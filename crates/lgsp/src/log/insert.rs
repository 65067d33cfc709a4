//! Writing records: on SQLite in statements of 50 rows of parameters, on PostgreSQL the whole
//! batch in one statement of column arrays.

use kernel::Result;
use kernel::db::{Tx, q};

use super::Exchange;

/// Inserts records numbered up to `last`, in the batch `batch` when sealed at once.
pub(super) async fn insert(tx: &mut Tx, last: i64, xs: &[Exchange], batch: Option<i64>) -> Result<()> {
    let mut seq = last - xs.len() as i64 + 1;
    if tx.backend() != kernel::db::Backend::Sqlite {
        return insert_arrays(tx, seq, xs, batch).await;
    }
    static FULL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let full = FULL.get_or_init(|| insert_sql(ROWS_PER_INSERT));
    for chunk in xs.chunks(ROWS_PER_INSERT) {
        let sql: std::borrow::Cow<'static, str> =
            if chunk.len() == ROWS_PER_INSERT { full.as_str().into() } else { insert_sql(chunk.len()).into() };
        let mut query = q(sql).reserve(chunk.len() * COLUMNS);
        for x in chunk {
            query = query
                .bind(seq)
                .bind(x.request_id.as_str())
                .bind(x.at)
                .bind(x.client.as_str())
                .bind(x.service.as_str())
                .bind(x.method.as_str())
                .bind(x.path.as_str())
                .bind(x.status)
                .bind(x.error.clone())
                .bind(x.request_hash.as_str())
                .bind(x.response_hash.as_str())
                .bind(x.request_bytes)
                .bind(x.response_bytes)
                .bind(x.duration_ms)
                .bind(x.user_id.clone())
                .bind(x.request_body.clone())
                .bind(x.response_body.clone())
                .bind(batch);
            seq += 1;
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// On PostgreSQL, the whole batch in one statement: each column bound as an array and
/// unnested into rows. One round trip and one plan per batch, where rows of parameters took one
/// statement per 50 records (and PostgreSQL parses a statement of 900 parameters each time).
async fn insert_arrays(tx: &mut Tx, first: i64, xs: &[Exchange], batch: Option<i64>) -> Result<()> {
    use kernel::db::Arg;
    const SQL: &str = "INSERT INTO lgsp_messages (seq, request_id, at, client, service, method, path, status, error, request_hash,
           response_hash, request_bytes, response_bytes, duration_ms, user_id, request_body, response_body, batch_seq)
         SELECT u.*, $18::bigint FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::bytea[],
           $17::bytea[]) AS u";
    let ints = |f: fn(&Exchange) -> i64| Arg::Ints(xs.iter().map(|x| Some(f(x))).collect());
    let texts = |f: fn(&Exchange) -> Option<&str>| Arg::Texts(xs.iter().map(|x| f(x).map(str::to_owned)).collect());
    let blobs = |f: fn(&Exchange) -> &Option<Vec<u8>>| Arg::Blobs(xs.iter().map(|x| f(x).clone()).collect());
    q(SQL)
        .bind(Arg::Ints((first..first + xs.len() as i64).map(Some).collect()))
        .bind(texts(|x| Some(x.request_id.as_str())))
        .bind(ints(|x| x.at))
        .bind(texts(|x| Some(x.client.as_str())))
        .bind(texts(|x| Some(x.service.as_str())))
        .bind(texts(|x| Some(x.method.as_str())))
        .bind(texts(|x| Some(x.path.as_str())))
        .bind(ints(|x| x.status))
        .bind(texts(|x| x.error.as_deref()))
        .bind(texts(|x| Some(x.request_hash.as_str())))
        .bind(texts(|x| Some(x.response_hash.as_str())))
        .bind(ints(|x| x.request_bytes))
        .bind(ints(|x| x.response_bytes))
        .bind(ints(|x| x.duration_ms))
        .bind(texts(|x| x.user_id.as_deref()))
        .bind(blobs(|x| &x.request_body))
        .bind(blobs(|x| &x.response_body))
        .bind(batch)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records per INSERT statement (SQLite).
const ROWS_PER_INSERT: usize = 50;

/// The columns of a record (the list in `insert_sql`, bound in that order by `insert`).
const COLUMNS: usize = 18;

/// `INSERT INTO lgsp_messages ... VALUES` with `rows` rows of parameters. Anonymous ones (`?`):
/// SQLite looks a numbered parameter (`$N`) up in a list, so binding n of them costs n², while
/// anonymous ones bind in order at no such cost.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO lgsp_messages (seq, request_id, at, client, service, method, path, status, error, request_hash, response_hash,
           request_bytes, response_bytes, duration_ms, user_id, request_body, response_body, batch_seq) VALUES ",
    );
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for k in 1..=COLUMNS {
            if k > 1 {
                sql.push_str(", ");
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}
