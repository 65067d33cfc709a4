//! Satisfaction ratings (đánh giá mức độ hài lòng): once a dossier's result is returned its
//! applicant rates the service from 1 to 5 and may leave feedback; leaders see the average,
//! the spread and the latest comments of the agencies they oversee.

use kernel::authz::Principal;
use kernel::db::{Where, q};
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::Onestop;
use crate::model::Status;
use crate::store;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingInput {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i64,
    /// Feedback to the agency, at most 2,000 characters.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rating {
    pub dossier_id: String,
    pub score: i64,
    pub comment: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Ratings of a period for the agencies a leader oversees.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Satisfaction {
    pub count: i64,
    /// Average score, one decimal; 0 when nothing was rated.
    pub average: f64,
    /// How many ratings gave 1, 2, 3, 4 and 5.
    pub by_score: [i64; 5],
    /// The latest comments: dossier code, score, comment, when.
    pub comments: Vec<RatedComment>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatedComment {
    pub dossier_id: String,
    pub code: Option<String>,
    pub score: i64,
    pub comment: String,
    pub at: i64,
}

impl Onestop {
    /// The applicant rates the returned dossier (again, if they change their mind).
    pub async fn rate(&self, p: &Principal, id: &str, input: &RatingInput) -> Result<Rating> {
        let d = self.dossier(p, id).await?;
        if d.account_id.as_deref() != Some(p.id.as_str()) {
            return Err(Error::Forbidden("chỉ người nộp hồ sơ đánh giá (only the applicant rates)".into()));
        }
        if d.d.status != Status::Returned {
            return Err(Error::conflict("đánh giá sau khi nhận kết quả (rate once the result is returned)"));
        }
        if !(1..=5).contains(&input.score) {
            return Err(Error::invalid("score", "chọn từ 1 đến 5 (choose 1 to 5)"));
        }
        let comment = input.comment.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
            return Err(Error::invalid("comment", "tối đa 2.000 ký tự (at most 2,000 characters)"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO dossier_ratings (dossier_id, account_id, agency_id, procedure_id, score, comment, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
           ON CONFLICT (dossier_id) DO UPDATE SET score = $5, comment = $6, updated_at = $7")
        .bind(id)
        .bind(p.id.as_str())
        .bind(d.agency_id.as_str())
        .bind(d.procedure_id.as_str())
        .bind(input.score)
        .bind(comment.clone())
        .bind(now)
        .execute(&mut tx)
        .await?;
        store::append(&mut tx, id, now, (&p.id, &p.name), "rated", None, None, None, None, json!({"score": input.score})).await?;
        tx.commit().await?;
        self.rating(p, id).await?.ok_or_else(|| Error::internal("rating not stored"))
    }

    /// The rating of a dossier, for whoever may see the dossier.
    pub async fn rating(&self, p: &Principal, id: &str) -> Result<Option<Rating>> {
        self.dossier(p, id).await?;
        let row = q("SELECT dossier_id, score, comment, created_at, updated_at FROM dossier_ratings WHERE dossier_id = $1")
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| {
            Ok(Rating {
                dossier_id: r.text("dossier_id")?,
                score: r.int("score")?,
                comment: r.opt_text("comment")?,
                created_at: r.int("created_at")?,
                updated_at: r.int("updated_at")?,
            })
        })
        .transpose()
    }

    /// Ratings given from `from` to `to` (instants, ms) for the agencies `p` sees reports of.
    pub async fn satisfaction(&self, p: &Principal, from: i64, to: i64) -> Result<Satisfaction> {
        let mut w = Where::new();
        super::report_scope(p, &mut w, "r.agency_id")?;
        let (a, b) = (w.arg(from), w.arg(to));
        w.and(format!("r.updated_at >= {a} AND r.updated_at < {b}"));
        let clause = w.sql();
        let counts = w
            .query(format!("SELECT r.score AS score, COUNT(*) AS n FROM dossier_ratings r {clause} GROUP BY r.score"))
            .fetch_all(&self.db)
            .await?;
        let mut out = Satisfaction::default();
        let mut sum = 0;
        for r in counts {
            let (score, n) = (r.int("score")?, r.int("n")?);
            if (1..=5).contains(&score) {
                out.by_score[(score - 1) as usize] = n;
                out.count += n;
                sum += score * n;
            }
        }
        out.average = if out.count > 0 { (sum as f64 * 10.0 / out.count as f64).round() / 10.0 } else { 0.0 };
        let rows = w
            .query(format!(
                "SELECT r.dossier_id, d.code, r.score, r.comment, r.updated_at FROM dossier_ratings r JOIN dossiers d ON d.id = r.dossier_id
                 {clause} AND r.comment IS NOT NULL ORDER BY r.updated_at DESC LIMIT 20"
            ))
            .fetch_all(&self.db)
            .await?;
        for r in rows {
            out.comments.push(RatedComment {
                dossier_id: r.text("dossier_id")?,
                code: r.opt_text("code")?,
                score: r.int("score")?,
                comment: r.text("comment")?,
                at: r.int("updated_at")?,
            });
        }
        Ok(out)
    }
}
