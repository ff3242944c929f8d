//! Reading version-1 lists (stored before version 2): `b"DQML" 1 count` · `count × (len, name bytes)` ·
//! `count × info`, varints throughout. Every name and info is decoded up front, so a request reading one costs
//! a pass over all of them; such a list is converted to version 2 when read, and replaced on re-register.

use super::info::{Cursor, Info};

pub(super) const MAGIC: &[u8] = b"DQML\x01";

/// The names and infos of a version-1 list, in order.
pub(super) fn decode(raw: &[u8]) -> Result<Vec<(&str, Info)>, String> {
    let mut cur = Cursor { bytes: raw, at: 0 };
    if cur.take(MAGIC.len())? != MAGIC {
        return Err("ME list has an unknown header".into());
    }
    let count = cur.count()?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        names.push(cur.string()?);
    }
    names.into_iter().map(|name| Ok((name, Info::decode(&mut cur)?))).collect()
}

/// A version-1 encoding, as registrations wrote it before version 2 (tests read it back).
#[cfg(test)]
pub(super) fn encode(entries: &[(&str, Info)]) -> Vec<u8> {
    use super::info::{put_bytes, put_varint};
    let mut raw = MAGIC.to_vec();
    put_varint(&mut raw, entries.len() as u64);
    for (name, _) in entries {
        put_bytes(&mut raw, name.as_bytes());
    }
    for (_, info) in entries {
        info.encode(&mut raw);
    }
    raw
}
