//! Dates in session files are TOML local dates (`due = 2026-12-15`), the type a person typing
//! TOML reaches for. A quoted `"2026-12-15"` is accepted too. Only the date type of the TOML
//! crate is used here, for its serde form; the model does no I/O.

use chrono::{Datelike, NaiveDate};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use toml::value::{Date, Datetime};

fn to_toml(date: &NaiveDate) -> Datetime {
    Datetime {
        date: Some(Date {
            year: u16::try_from(date.year()).unwrap_or(0),
            month: date.month() as u8,
            day: date.day() as u8,
        }),
        time: None,
        offset: None,
    }
}

fn from_toml<E: de::Error>(value: Datetime) -> Result<NaiveDate, E> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(|| E::custom(format!("{value} is not a calendar date")))
        }
        _ => Err(E::custom(format!(
            "expected a date like 2026-12-15, found {value}"
        ))),
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date like 2026-12-15")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| E::custom(format!("expected a date like 2026-12-15, found {v:?}")))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NaiveDate, A::Error> {
        let value = Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        from_toml(value)
    }
}

pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    to_toml(date).serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    d.deserialize_any(DateVisitor)
}

/// The same for `Option<NaiveDate>` fields (use with `default` and `skip_serializing_if`).
pub mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => super::serialize(date, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        super::deserialize(d).map(Some)
    }
}
