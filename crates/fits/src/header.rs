//! Header cards: 80-character `KEYWORD = value / comment` records in 2880-byte blocks, ended by `END`.

use std::collections::HashMap;

use crate::{err, FitsResult, BLOCK};

const CARD: usize = 80;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Logical(bool),
    Integer(i64),
    Real(f64),
    Text(String),
}

/// The keyword values of one HDU (the first occurrence of a keyword wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    values: HashMap<String, Value>,
}

impl Header {
    /// Parses the header starting at `offset`; returns it and the offset of its data.
    pub fn parse(bytes: &[u8], offset: usize) -> FitsResult<(Header, usize)> {
        let mut header = Header::default();
        let mut pos = offset;
        loop {
            let Some(card) = bytes.get(pos..pos + CARD) else {
                return err("truncated header: no END card before the end of the file");
            };
            pos += CARD;
            let keyword = std::str::from_utf8(&card[..8])
                .map_err(|_| crate::FitsError("non-ASCII keyword".into()))?
                .trim_end();
            if keyword == "END" {
                break;
            }
            if &card[8..10] == b"= " {
                let text = String::from_utf8_lossy(&card[10..]);
                if let Some(value) = parse_value(&text) {
                    header.values.entry(keyword.to_owned()).or_insert(value);
                }
            }
        }
        let data_start = (pos - offset).div_ceil(BLOCK) * BLOCK + offset;
        if data_start > bytes.len() {
            return err("truncated header: its last block is incomplete");
        }
        Ok((header, data_start))
    }

    pub fn get(&self, keyword: &str) -> Option<&Value> {
        self.values.get(keyword)
    }

    pub fn string(&self, keyword: &str) -> Option<&str> {
        match self.get(keyword)? {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn logical(&self, keyword: &str) -> Option<bool> {
        match self.get(keyword)? {
            Value::Logical(b) => Some(*b),
            _ => None,
        }
    }

    pub fn integer(&self, keyword: &str) -> Option<i64> {
        match self.get(keyword)? {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// A numeric keyword as a float (integers too).
    pub fn real(&self, keyword: &str) -> Option<f64> {
        match self.get(keyword)? {
            Value::Integer(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// A required non-negative integer (NAXISn, PCOUNT, …) that must fit `max`.
    pub fn count(&self, keyword: &str, max: i64) -> FitsResult<usize> {
        match self.get(keyword) {
            Some(Value::Integer(n)) if (0..=max).contains(n) => Ok(*n as usize),
            Some(other) => err(format!("bad {keyword}: {other:?}")),
            None => err(format!("missing {keyword}")),
        }
    }
}

fn parse_value(text: &str) -> Option<Value> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('\'') {
        // Quotes inside a string are doubled; trailing blanks are not significant.
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    return Some(Value::Text(out.trim_end().to_owned()));
                }
            }
            out.push(c);
        }
        return None;
    }
    let token = text.split('/').next().unwrap_or("").trim();
    match token {
        "T" => Some(Value::Logical(true)),
        "F" => Some(Value::Logical(false)),
        "" => None,
        _ => token.parse::<i64>().map(Value::Integer).ok().or_else(|| {
            token
                .replace(['D', 'd'], "E")
                .parse::<f64>()
                .ok()
                .map(Value::Real)
        }),
    }
}
