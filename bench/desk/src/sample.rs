//! The requesters: existing customers drawn with a fixed seed (SplitMix64), each asking with every
//! identifier the privacy centre asks for — e-mail, phone (when the customer has one) and
//! customer number. The same seed gives the same requesters on both engines and on every run;
//! erasures draw further from the same stream and skip customers an earlier run already erased.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use kapsel_connect::Subject;
use sqlx::Row as _;

use crate::shop::{Pool, Shop};

/// A customer as they identify themselves.
#[derive(Debug, Clone)]
pub struct Requester {
    pub id: i64,
    pub email: String,
    pub phone: Option<String>,
    pub customer_no: String,
}

impl Requester {
    pub fn subject(&self) -> Subject {
        let mut subject = Subject::new();
        subject.insert("email".into(), self.email.clone());
        subject.insert("customer_no".into(), self.customer_no.clone());
        if let Some(phone) = &self.phone {
            subject.insert("phone".into(), phone.clone());
        }
        subject
    }
}

/// Which customers a draw may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    /// Not yet erased by an earlier run (the address is still an address, not its keyed hash).
    Unerased,
    /// Unerased, with a phone, a newsletter subscription and a support ticket, so that a request
    /// for them issues every kind of statement (for the plan pass).
    Full,
}

/// SplitMix64: small, fast and the same everywhere.
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Draw {
        Draw(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `n` distinct customers of `kind` not in `taken` (added to it).
    pub async fn requesters(
        &mut self,
        shop: &Shop,
        n: usize,
        taken: &mut BTreeSet<i64>,
        kind: Kind,
    ) -> Result<Vec<Requester>> {
        let mut out = Vec::with_capacity(n);
        let mut tries = 0;
        // Every run erases some 400 customers drawn from the same stream, so a later run walks
        // past all that earlier runs erased: allow for 2% of the shop besides the draws that a
        // customer without e-mail or (for `Full`) without a ticket or subscription costs.
        let budget = 100 * n as u64 + 1000 + shop.scale.customers / 50;
        while out.len() < n {
            tries += 1;
            if tries > budget {
                bail!(
                    "could not find {n} requesters in {budget} draws (earlier runs erased too \
                     many of this seed's customers: pass another --seed or --regenerate)"
                );
            }
            let id = 1 + (self.next() % shop.scale.customers) as i64;
            if taken.contains(&id) {
                continue;
            }
            let Some(found) = customer(&shop.pool, id).await? else {
                continue;
            };
            if kind != Kind::Any && !found.email.contains('@') {
                continue;
            }
            if kind == Kind::Full
                && (found.phone.is_none() || !has_everything(&shop.pool, &found).await?)
            {
                continue;
            }
            taken.insert(id);
            out.push(found);
        }
        Ok(out)
    }
}

async fn customer(pool: &Pool, id: i64) -> Result<Option<Requester>> {
    const SQL: &str = "SELECT email, phone, customer_no FROM customers WHERE id = $1";
    let row =
        match pool {
            Pool::Pg(p) => sqlx::query(SQL).bind(id).fetch_optional(p).await?.map(
                |r| -> Result<_, sqlx::Error> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) },
            ),
            Pool::Lite(p) => sqlx::query(SQL).bind(id).fetch_optional(p).await?.map(
                |r| -> Result<_, sqlx::Error> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) },
            ),
        };
    Ok(match row.transpose()? {
        Some((Some(email), phone, customer_no)) => Some(Requester {
            id,
            email,
            phone,
            customer_no,
        }),
        _ => None,
    })
}

/// Whether the customer has a support ticket and a newsletter subscription.
async fn has_everything(pool: &Pool, r: &Requester) -> Result<bool> {
    const SQL: &str = "SELECT (SELECT count(*) FROM support_tickets WHERE customer_id = $1), \
         (SELECT count(*) FROM newsletter_subscriptions WHERE email = $2)";
    let (tickets, subscriptions): (i64, i64) = match pool {
        Pool::Pg(p) => {
            sqlx::query_as(SQL)
                .bind(r.id)
                .bind(&r.email)
                .fetch_one(p)
                .await?
        }
        Pool::Lite(p) => {
            sqlx::query_as(SQL)
                .bind(r.id)
                .bind(&r.email)
                .fetch_one(p)
                .await?
        }
    };
    Ok(tickets > 0 && subscriptions > 0)
}
