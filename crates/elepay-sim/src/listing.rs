//! `GET /charges` query parsing, filtering, sorting and paging.

use url::form_urlencoded;

use crate::errors::ApiError;
use crate::methods::{ALL_PAYMENT_METHOD_TYPES, CHARGE_STATUSES};
use crate::store::Charge;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateField {
    CreateTime,
    PaidTime,
}

impl DateField {
    fn parse(name: &str, v: &str) -> Result<Self, ApiError> {
        match v {
            "create_time" => Ok(Self::CreateTime),
            "paid_time" => Ok(Self::PaidTime),
            _ => Err(ApiError::invalid(name)),
        }
    }

    fn of(self, c: &Charge) -> i64 {
        match self {
            Self::CreateTime => c.create_time,
            Self::PaidTime => c.paid_time,
        }
    }
}

/// Parsed `GET /charges` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChargeQuery {
    from: Option<i64>,
    to: Option<i64>,
    date_field: DateField,
    status: Option<String>,
    payment_methods: Vec<String>,
    limit: usize,
    offset: usize,
    sort: DateField,
    descending: bool,
}

fn int(name: &str, v: &str) -> Result<i64, ApiError> {
    v.trim().parse::<i64>().map_err(|_| ApiError::invalid(name))
}

fn limit(v: &str) -> Result<usize, ApiError> {
    match int("limit", v)? {
        n @ 1..=100 => Ok(n as usize),
        _ => Err(ApiError::invalid("limit")),
    }
}

fn offset(v: &str) -> Result<usize, ApiError> {
    match int("offset", v)? {
        n if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(ApiError::invalid("offset")),
    }
}

/// `offset` and `limit` of a list without other filters (a charge's
/// refunds): `(offset, limit)`, 20 by default like `GET /charges`.
pub(crate) fn page_params(raw: Option<&str>) -> Result<(usize, usize), ApiError> {
    let (mut o, mut l) = (0, 20);
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "limit" => l = limit(&v)?,
            "offset" => o = offset(&v)?,
            _ => {}
        }
    }
    Ok((o, l))
}

impl ChargeQuery {
    /// Parses the raw query string; repeated `paymentMethod` keys accumulate.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut q = ChargeQuery {
            from: None,
            to: None,
            date_field: DateField::CreateTime,
            status: None,
            payment_methods: Vec::new(),
            limit: 20,
            offset: 0,
            sort: DateField::CreateTime,
            descending: true,
        };
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "from" => q.from = Some(int("from", &v)?),
                "to" => q.to = Some(int("to", &v)?),
                "dateField" => q.date_field = DateField::parse("dateField", &v)?,
                "sort" => q.sort = DateField::parse("sort", &v)?,
                "order" => {
                    q.descending = match v.as_ref() {
                        "desc" => true,
                        "asc" => false,
                        _ => return Err(ApiError::invalid("order")),
                    }
                }
                "status" => {
                    if !CHARGE_STATUSES.contains(&v.as_ref()) {
                        return Err(ApiError::invalid("status"));
                    }
                    q.status = Some(v.into_owned());
                }
                "paymentMethod" => {
                    // Accept both repeated keys and a comma-joined list.
                    for m in v.split(',').filter(|m| !m.is_empty()) {
                        if !ALL_PAYMENT_METHOD_TYPES.contains(&m) {
                            return Err(ApiError::invalid("paymentMethod"));
                        }
                        q.payment_methods.push(m.to_owned());
                    }
                }
                "limit" => q.limit = limit(&v)?,
                "offset" => q.offset = offset(&v)?,
                _ => {}
            }
        }
        Ok(q)
    }

    /// Returns `(total matching before paging, page)`.
    pub(crate) fn apply<'a>(
        &self,
        charges: impl Iterator<Item = &'a Charge>,
    ) -> (usize, Vec<&'a Charge>) {
        let mut hits: Vec<&Charge> = charges
            .filter(|c| {
                let t = self.date_field.of(c);
                self.from.is_none_or(|f| t >= f)
                    && self.to.is_none_or(|to| t <= to)
                    && self.status.as_deref().is_none_or(|s| c.status() == s)
                    && (self.payment_methods.is_empty()
                        || self.payment_methods.contains(&c.payment_method))
            })
            .collect();
        hits.sort_by_key(|c| (self.sort.of(c), c.seq));
        if self.descending {
            hits.reverse();
        }
        let total = hits.len();
        let page = hits
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        (total, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let q = ChargeQuery::parse(Some(
            "paymentMethod=paypay&paymentMethod=linepay&limit=5&order=asc",
        ))
        .expect("ok");
        assert_eq!(q.payment_methods, ["paypay", "linepay"]);
        assert_eq!((q.limit, q.descending), (5, false));
        for (raw, param) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=x", "limit"),
            ("offset=-1", "offset"),
            ("order=up", "order"),
            ("sort=amount", "sort"),
            ("dateField=x", "dateField"),
            ("status=done", "status"),
            ("paymentMethod=cash", "paymentMethod"),
            ("from=yesterday", "from"),
        ] {
            let e = ChargeQuery::parse(Some(raw)).expect_err(raw);
            assert_eq!(e.param.as_deref(), Some(param), "{raw}");
        }
        assert_eq!(ChargeQuery::parse(None).expect("defaults").limit, 20);
    }
}
