//! Writes whose results nothing reads before the commit, sent to the database together. On
//! PostgreSQL they become one statement (every write but the last a data-modifying `WITH`
//! part), so a transaction pays one round trip for all of them instead of one each. SQLite
//! has no data-modifying `WITH`: there they become one script of statements separated by `;`,
//! run in order by one call to the connection's worker thread instead of one call each (the
//! thread hand-offs, not the statements, are most of what a small write costs there).
//!
//! The parts of one PostgreSQL statement see the same snapshot and cannot see each other's
//! rows: only writes that are independent of each other belong in one batch (different rows;
//! a later read of what they wrote comes after [`WriteBatch::flush`]).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, StatementBuilder, Value};

/// PostgreSQL accepts at most 65,535 bound values in a statement; stay well below.
const MAX_VALUES: usize = 30_000;

/// Writes waiting to be sent.
#[derive(Debug, Default)]
pub struct WriteBatch {
    parts: Vec<Statement>,
}

impl WriteBatch {
    /// Queues `stmt`, rendered for `backend`.
    pub fn add(&mut self, backend: DbBackend, stmt: &impl StatementBuilder) {
        self.parts.push(stmt.build(&backend));
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Sends what is queued (nothing when empty) and empties the batch.
    pub async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let parts = std::mem::take(&mut self.parts);
        if db.get_database_backend() != DbBackend::Postgres {
            if let Some(script) = script(parts) {
                db.execute_raw(script).await?;
            }
            return Ok(());
        }
        for statement in combine(parts) {
            db.execute_raw(statement).await?;
        }
        Ok(())
    }
}

/// SQLite statements as one script, their values in order (each statement numbers its `?`
/// placeholders on from the one before; SQLite's limit on bound values applies per statement).
fn script(parts: Vec<Statement>) -> Option<Statement> {
    if parts.len() <= 1 {
        return parts.into_iter().next();
    }
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    for part in parts {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&part.sql);
        values.extend(part.values.map(|v| v.0).unwrap_or_default());
    }
    Some(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
}

/// PostgreSQL statements joined into as few as the bound-value limit allows, in order.
fn combine(parts: Vec<Statement>) -> Vec<Statement> {
    let mut groups: Vec<Vec<Statement>> = Vec::new();
    let mut values_in_last = 0;
    for part in parts {
        let n = part.values.as_ref().map_or(0, |v| v.0.len());
        match groups.last_mut() {
            Some(group) if values_in_last + n <= MAX_VALUES => {
                group.push(part);
                values_in_last += n;
            }
            _ => {
                groups.push(vec![part]);
                values_in_last = n;
            }
        }
    }
    groups.into_iter().map(join).collect()
}

/// `WITH w0 AS (first), w1 AS (second) last`, the placeholders numbered through.
fn join(mut group: Vec<Statement>) -> Statement {
    if group.len() == 1 {
        if let Some(only) = group.pop() {
            return only;
        }
    }
    let last = group.len().saturating_sub(1);
    let mut sql = String::from("WITH ");
    let mut values: Vec<Value> = Vec::new();
    for (i, part) in group.into_iter().enumerate() {
        let text = shift_placeholders(&part.sql, values.len());
        if i == last {
            sql.push(' ');
            sql.push_str(&text);
        } else {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ({text})"));
        }
        values.extend(part.values.map(|v| v.0).unwrap_or_default());
    }
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with every PostgreSQL placeholder `$n` outside quotes turned into `$(n + offset)`: what
/// a statement's text needs when it follows `offset` values of another in one statement.
pub fn shift_placeholders(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            // A doubled quote inside quotes closes and reopens: the same either way.
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                out.push('$');
                out.push_str(&(n + offset).to_string());
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }

    #[test]
    fn placeholders_are_numbered_through_outside_quotes_only() {
        assert_eq!(
            shift_placeholders(r#"INSERT INTO "a$1" VALUES ($1, '$2', $2, $10)"#, 3),
            r#"INSERT INTO "a$1" VALUES ($4, '$2', $5, $13)"#
        );
        assert_eq!(shift_placeholders("SELECT 'it''s $1', $1", 1), "SELECT 'it''s $1', $2");
    }

    #[test]
    fn writes_join_into_one_statement_with_their_values_in_order() {
        let joined = combine(vec![
            stmt("INSERT INTO a VALUES ($1, $2)", vec![1.into(), 2.into()]),
            stmt("INSERT INTO b VALUES ($1)", vec!["x".into()]),
            stmt("UPDATE c SET v = $1 WHERE id = $2", vec![3.into(), 4.into()]),
        ]);
        assert_eq!(joined.len(), 1);
        assert_eq!(
            joined[0].sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3)) UPDATE c SET v = $4 WHERE id = $5"
        );
        let values = joined[0].values.clone().map(|v| v.0).unwrap_or_default();
        assert_eq!(values, vec![1.into(), 2.into(), "x".into(), 3.into(), 4.into()]);
    }

    #[test]
    fn too_many_values_for_one_statement_make_several() {
        let big = |n: usize| stmt("INSERT INTO a VALUES ($1)", vec![Value::from(1); n]);
        let joined = combine(vec![big(20_000), big(20_000), big(5_000)]);
        assert_eq!(joined.len(), 2, "20,000 alone, then 20,000 + 5,000");
        assert!(joined[0].sql.starts_with("INSERT"));
        assert!(joined[1].sql.starts_with("WITH w0 AS"));
    }

    /// On SQLite the writes run one after the other, in order, as one script: each statement
    /// gets its own values, and a failing one fails the flush.
    #[tokio::test]
    async fn sqlite_runs_the_writes_in_order() {
        use sea_orm::sea_query::{Alias, ExprTrait, Query};
        let db = crate::backend::store::test_db::memory_db().await;
        db.execute_unprepared("CREATE TABLE t (v INTEGER)").await.unwrap();
        let mut batch = WriteBatch::default();
        let insert = |v: i32| {
            Query::insert()
                .into_table(Alias::new("t"))
                .columns([Alias::new("v")])
                .values_panic([v.into()])
                .to_owned()
        };
        batch.add(DbBackend::Sqlite, &insert(1));
        let double = Query::update()
            .table(Alias::new("t"))
            .value(Alias::new("v"), sea_orm::sea_query::Expr::col(Alias::new("v")).mul(2))
            .to_owned();
        batch.add(DbBackend::Sqlite, &double);
        batch.add(DbBackend::Sqlite, &insert(7));
        let add_where = Query::update()
            .table(Alias::new("t"))
            .value(Alias::new("v"), sea_orm::sea_query::Expr::col(Alias::new("v")).add(100))
            .and_where(sea_orm::sea_query::Expr::col(Alias::new("v")).eq(7))
            .to_owned();
        batch.add(DbBackend::Sqlite, &add_where);
        assert_eq!(script(batch.parts.clone()).unwrap().sql.matches(';').count(), 3);
        assert!(!batch.is_empty());
        batch.flush(&db).await.unwrap();
        assert!(batch.is_empty());
        let values: Vec<i32> = db
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT v FROM t ORDER BY v"))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<i32>("", "v").unwrap())
            .collect();
        assert_eq!(values, vec![2, 107]);

        batch.add(DbBackend::Sqlite, &insert(1));
        batch.add(
            DbBackend::Sqlite,
            &Query::insert()
                .into_table(Alias::new("missing"))
                .columns([Alias::new("v")])
                .values_panic([1.into()])
                .to_owned(),
        );
        assert!(batch.flush(&db).await.is_err(), "the second statement fails");
    }
}
