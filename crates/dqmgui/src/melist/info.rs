//! One ME's info record inside an ME list, and the varint cursor both list versions are read with.
//!
//! An info is `type(u8: position in MeType::ALL) loc_kind(u8: 0 key, 1 tree, 2 pb, 3 inline, 4 basket) a b
//! [basket: nbytes len encoding] flags(u8: bit 0 = efficiency) value_tag(u8: 0 none, 1 int (zigzag), 2 float
//! (8 bytes LE), 3 string (len, bytes)) qtest_count × (len, name bytes, status zigzag)`, integers LEB128 varints.
//! Key `a b` = seek, nbytes; tree = entry, 0; pb = offset, len; basket = the basket key's seek, the entry's offset
//! in the basket's logical buffer, then the basket record's size, the entry's length and the value encoding
//! (0 prefixed, `v + 1` member-wise of class version `v`). Registrations write kind 4 for DQMIO histograms (one
//! basket read per json/render); kind 1 (whole tree metadata per request) is still read from older lists and
//! written when a basket could not be pinned.

use dqm_formats::{EntrySpan, Location, MeType, Scalar, ValueEncoding};

/// What the index keeps about one ME besides its path.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    pub me_type: MeType,
    pub location: Location,
    pub value: Option<Scalar>,
    /// `(qtest name, status)`, sorted by name.
    pub qtests: Vec<(String, i32)>,
    pub efficiency: bool,
}

impl Info {
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.push(MeType::ALL.iter().position(|t| *t == self.me_type).unwrap_or(0) as u8);
        let (kind, a, b) = match &self.location {
            Location::Key { seek, nbytes } => (0, *seek, *nbytes as u64),
            Location::Tree { entry, .. } => (1, *entry, 0),
            Location::Pb { offset, len } => (2, *offset, *len as u64),
            Location::Inline => (3, 0, 0),
            Location::Basket { span, .. } => (4, span.basket_seek, span.offset as u64),
        };
        out.push(kind);
        put_varint(out, a);
        put_varint(out, b);
        if let Location::Basket { span, encoding } = &self.location {
            put_varint(out, span.basket_nbytes as u64);
            put_varint(out, span.len as u64);
            put_varint(out, match encoding {
                ValueEncoding::Prefixed => 0,
                ValueEncoding::Member { class_version } => *class_version as u64 + 1,
            });
        }
        out.push(self.efficiency as u8);
        match &self.value {
            None => out.push(0),
            Some(Scalar::Int(v)) => {
                out.push(1);
                put_varint(out, zigzag(*v));
            }
            Some(Scalar::Float(v)) => {
                out.push(2);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Some(Scalar::String(s)) => {
                out.push(3);
                put_bytes(out, s.as_bytes());
            }
        }
        put_varint(out, self.qtests.len() as u64);
        for (name, status) in &self.qtests {
            put_bytes(out, name.as_bytes());
            put_varint(out, zigzag(*status as i64));
        }
    }

    pub(super) fn decode(cur: &mut Cursor) -> Result<Info, String> {
        let me_type = *MeType::ALL.get(cur.byte()? as usize).ok_or("ME list has an unknown type")?;
        let kind = cur.byte()?;
        let (a, b) = (cur.varint()?, cur.varint()?);
        let location = match kind {
            0 => Location::Key { seek: a, nbytes: b as u32 },
            1 => Location::Tree { tree: me_type.dqmio_tree(), entry: a },
            2 => Location::Pb { offset: a, len: b as u32 },
            3 => Location::Inline,
            4 => decode_basket(cur, a, b)?,
            _ => return Err("ME list has an unknown location kind".into()),
        };
        let efficiency = cur.byte()? & 1 == 1;
        let value = match cur.byte()? {
            0 => None,
            1 => Some(Scalar::Int(unzigzag(cur.varint()?))),
            2 => Some(Scalar::Float(f64::from_le_bytes(cur.take(8)?.try_into().expect("8 bytes")))),
            3 => Some(Scalar::String(cur.string()?.to_owned())),
            _ => return Err("ME list has an unknown value tag".into()),
        };
        let qtest_count = cur.count()?;
        let mut qtests = Vec::with_capacity(qtest_count);
        for _ in 0..qtest_count {
            let name = cur.string()?.to_owned();
            qtests.push((name, unzigzag(cur.varint()?) as i32));
        }
        Ok(Info { me_type, location, value, qtests, efficiency })
    }
}

/// The rest of a kind-4 location after its seek `a` and offset `b`.
fn decode_basket(cur: &mut Cursor, a: u64, b: u64) -> Result<Location, String> {
    let small = |v: u64| u32::try_from(v).map_err(|_| "ME list has an oversized basket location".to_owned());
    let (nbytes, len) = (small(cur.varint()?)?, small(cur.varint()?)?);
    let encoding = match cur.varint()? {
        0 => ValueEncoding::Prefixed,
        v => ValueEncoding::Member { class_version: u16::try_from(v - 1).map_err(|_| "ME list has an unknown value encoding")? },
    };
    let span = EntrySpan { basket_seek: a, basket_nbytes: nbytes, offset: small(b)?, len };
    Ok(Location::Basket { span, encoding })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Reads a list's bytes front to back; every read past the end is an error.
pub(super) struct Cursor<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Cursor<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or("ME list is truncated")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    pub fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("ME list has an overlong varint".into())
    }

    /// A count of items that each take at least one byte: never more than the bytes left.
    pub fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        if n > (self.bytes.len() - self.at) as u64 {
            return Err("ME list count exceeds its size".into());
        }
        Ok(n as usize)
    }

    pub fn string(&mut self) -> Result<&'a str, String> {
        let len = self.count()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| "ME list has a non-UTF-8 name".to_owned())
    }
}
