//! The per-sample ME list blob: byte-sorted names plus a parallel info table, zlib-compressed when large.
//!
//! A list whose encoding is at most [`RAW_LIMIT`] bytes is stored as is: every archive and json request
//! reads the list, and inflating costs more than the bytes it saves. Larger lists are zlib streams (which
//! never start with the magic, so a reader tells them apart by their first bytes).
//!
//! Layout before compression (all integers LEB128 varints unless noted):
//! `b"DQML" 1 count` · `count × (len, name bytes)` · `count × info`, where one info is
//! `type(u8: position in MeType::ALL) loc_kind(u8: 0 key, 1 tree, 2 pb, 3 inline, 4 basket) a b [basket: nbytes
//! len encoding] flags(u8: bit 0 = efficiency) value_tag(u8: 0 none, 1 int (zigzag), 2 float (8 bytes LE), 3 string
//! (len, bytes)) qtest_count × (len, name bytes, status zigzag)`. Key `a b` = seek, nbytes; tree = entry, 0; pb =
//! offset, len; basket = the basket key's seek, the entry's offset in the basket's logical buffer, then the basket
//! record's size, the entry's length and the value encoding (0 prefixed, `v + 1` member-wise of class version `v`).
//! Registrations write kind 4 for DQMIO histograms (one basket read per json/render); kind 1 (whole tree
//! metadata per request) is still read from older lists and written when a basket could not be pinned.
//! Names are kept in one string with end offsets, so a directory listing is a binary search over them.

use std::io::Read;
use std::ops::Range;

use dqm_formats::{EntrySpan, Location, Me, MeType, Scalar, ValueEncoding};

const MAGIC: &[u8] = b"DQML\x01";
/// Encodings up to this size are stored uncompressed.
pub const RAW_LIMIT: usize = 1 << 20;
/// A decompressed list larger than this is refused (corrupt or hostile blob).
const MAX_INFLATED: u64 = 512 << 20;

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

/// The ME index of one sample, sorted byte-wise by path, one entry per path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeList {
    names: String,
    ends: Vec<u32>,
    infos: Vec<Info>,
}

impl MeList {
    /// Builds the index from listed MEs (any order; for a path listed twice the first is kept).
    pub fn from_mes(mes: &[Me]) -> MeList {
        let mut entries: Vec<(String, &Me)> = mes.iter().map(|m| (m.path_string(), m)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        let mut list = MeList::default();
        for (path, me) in entries {
            let mut qtests: Vec<(String, i32)> = me.qtests.iter().map(|q| (q.name.clone(), q.status)).collect();
            qtests.sort();
            list.push(&path, Info { me_type: me.me_type, location: me.location.clone(), value: me.value.clone(), qtests, efficiency: me.efficiency });
        }
        list
    }

    fn push(&mut self, path: &str, info: Info) {
        self.names.push_str(path);
        self.ends.push(self.names.len() as u32);
        self.infos.push(info);
    }

    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    pub fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.names[start..self.ends[i] as usize]
    }

    pub fn info(&self, i: usize) -> &Info {
        &self.infos[i]
    }

    /// The indexes of the paths starting with `prefix` (contiguous, since names are sorted).
    pub fn prefix_range(&self, prefix: &str) -> Range<usize> {
        let start = self.partition(|name| name < prefix);
        let end = start + self.partition_from(start, |name| name.starts_with(prefix));
        start..end
    }

    /// The index of `path`, if listed.
    pub fn find(&self, path: &str) -> Option<usize> {
        let i = self.partition(|name| name < path);
        (i < self.len() && self.name(i) == path).then_some(i)
    }

    fn partition(&self, before: impl Fn(&str) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(self.name(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn partition_from(&self, start: usize, inside: impl Fn(&str) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len() - start);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if inside(self.name(start + mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The decodable ME at index `i` of sample `(run, lumi)`.
    pub fn me(&self, i: usize, run: u32, lumi: u32) -> Me {
        let info = &self.infos[i];
        Me {
            path: self.name(i).split('/').map(str::to_owned).collect(),
            me_type: info.me_type,
            run,
            lumi,
            efficiency: info.efficiency,
            qtests: Vec::new(),
            location: info.location.clone(),
            value: info.value.clone(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut raw = MAGIC.to_vec();
        put_varint(&mut raw, self.len() as u64);
        for i in 0..self.len() {
            put_bytes(&mut raw, self.name(i).as_bytes());
        }
        for info in &self.infos {
            encode_info(&mut raw, info);
        }
        if raw.len() <= RAW_LIMIT {
            return raw;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &raw).expect("writing to a Vec cannot fail");
        encoder.finish().expect("writing to a Vec cannot fail")
    }

    pub fn decode(blob: &[u8]) -> Result<MeList, String> {
        let mut inflated = Vec::new();
        let raw = if blob.starts_with(MAGIC) {
            blob
        } else {
            flate2::read::ZlibDecoder::new(blob)
                .take(MAX_INFLATED)
                .read_to_end(&mut inflated)
                .map_err(|e| format!("ME list does not inflate: {e}"))?;
            &inflated
        };
        let mut cur = Cursor { bytes: raw, at: 0 };
        if cur.take(MAGIC.len())? != MAGIC {
            return Err("ME list has an unknown header".into());
        }
        let count = cur.count()?;
        let mut list = MeList { names: String::new(), ends: Vec::with_capacity(count), infos: Vec::with_capacity(count) };
        for _ in 0..count {
            let name = cur.string()?;
            list.names.push_str(name);
            list.ends.push(list.names.len() as u32);
        }
        for _ in 0..count {
            list.infos.push(decode_info(&mut cur)?);
        }
        Ok(list)
    }
}

fn encode_info(out: &mut Vec<u8>, info: &Info) {
    out.push(MeType::ALL.iter().position(|t| *t == info.me_type).unwrap_or(0) as u8);
    let (kind, a, b) = match &info.location {
        Location::Key { seek, nbytes } => (0, *seek, *nbytes as u64),
        Location::Tree { entry, .. } => (1, *entry, 0),
        Location::Pb { offset, len } => (2, *offset, *len as u64),
        Location::Inline => (3, 0, 0),
        Location::Basket { span, .. } => (4, span.basket_seek, span.offset as u64),
    };
    out.push(kind);
    put_varint(out, a);
    put_varint(out, b);
    if let Location::Basket { span, encoding } = &info.location {
        put_varint(out, span.basket_nbytes as u64);
        put_varint(out, span.len as u64);
        put_varint(out, match encoding {
            ValueEncoding::Prefixed => 0,
            ValueEncoding::Member { class_version } => *class_version as u64 + 1,
        });
    }
    out.push(info.efficiency as u8);
    match &info.value {
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
    put_varint(out, info.qtests.len() as u64);
    for (name, status) in &info.qtests {
        put_bytes(out, name.as_bytes());
        put_varint(out, zigzag(*status as i64));
    }
}

fn decode_info(cur: &mut Cursor) -> Result<Info, String> {
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

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or("ME list is truncated")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
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
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        if n > (self.bytes.len() - self.at) as u64 {
            return Err("ME list count exceeds its size".into());
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<&'a str, String> {
        let len = self.count()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| "ME list has a non-UTF-8 name".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(path: &str, me_type: MeType, value: Option<Scalar>) -> Me {
        Me {
            path: path.split('/').map(str::to_owned).collect(),
            me_type,
            run: 1,
            lumi: 0,
            efficiency: path.ends_with("Eff"),
            qtests: Vec::new(),
            location: Location::Key { seek: 1234, nbytes: 56 },
            value,
        }
    }

    #[test]
    fn round_trips_and_searches() {
        let mes = vec![
            me("B/x", MeType::TH1F, None),
            me("A/b/Eff", MeType::TH2D, None),
            me("A/a", MeType::Float, Some(Scalar::Float(0.987))),
            me("A/s", MeType::String, Some(Scalar::String("hi <b>".into()))),
            me("A/a", MeType::Int, Some(Scalar::Int(-42))),
        ];
        let list = MeList::from_mes(&mes);
        assert_eq!(list.len(), 4, "duplicate path kept once");
        let decoded = MeList::decode(&list.encode()).unwrap();
        assert_eq!(decoded, list);
        assert_eq!(decoded.prefix_range("A/"), 0..3);
        assert_eq!(decoded.prefix_range("B/"), 3..4);
        assert_eq!(decoded.prefix_range("C/"), 4..4);
        assert_eq!(decoded.prefix_range(""), 0..4);
        assert_eq!(decoded.find("A/b/Eff").map(|i| decoded.info(i).efficiency), Some(true));
        assert_eq!(decoded.find("A/b"), None);
        assert_eq!(decoded.info(0).value, Some(Scalar::Float(0.987)));
    }

    #[test]
    fn every_location_kind_round_trips() {
        let span = EntrySpan { basket_seek: 1 << 33, basket_nbytes: 70_000, offset: 123, len: 4567 };
        let locations = [
            Location::Key { seek: 9, nbytes: 8 },
            Location::Tree { tree: MeType::TH1F.dqmio_tree(), entry: 7 },
            Location::Pb { offset: 5, len: 6 },
            Location::Basket { span, encoding: ValueEncoding::Prefixed },
            Location::Basket { span, encoding: ValueEncoding::Member { class_version: 3 } },
        ];
        let mes: Vec<Me> = locations
            .iter()
            .enumerate()
            .map(|(i, location)| Me { location: location.clone(), ..me(&format!("A/h{i}"), MeType::TH1F, None) })
            .collect();
        let list = MeList::from_mes(&mes);
        let decoded = MeList::decode(&list.encode()).unwrap();
        let got: Vec<Location> = (0..decoded.len()).map(|i| decoded.info(i).location.clone()).collect();
        assert_eq!(got, locations);
    }

    #[test]
    fn small_lists_are_stored_raw_and_large_ones_compressed() {
        let small = MeList::from_mes(&[me("A/a", MeType::TH1F, None)]);
        assert!(small.encode().starts_with(MAGIC));
        let mes: Vec<Me> = (0..40_000).map(|i| me(&format!("Folder/Sub{}/histogram_{i}", i % 50), MeType::TH1F, None)).collect();
        let large = MeList::from_mes(&mes);
        let blob = large.encode();
        assert!(!blob.starts_with(MAGIC) && blob.len() < RAW_LIMIT, "compressed: {} bytes", blob.len());
        assert_eq!(MeList::decode(&blob).unwrap(), large);
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        let blob = MeList::from_mes(&[me("A/a", MeType::TH1F, None)]).encode();
        assert!(MeList::decode(&blob[..blob.len() / 2]).is_err());
        assert!(MeList::decode(b"not zlib").is_err());
        for cut in 0..20 {
            let mut raw = MAGIC.to_vec();
            raw.extend_from_slice(&[0xff; 20][..cut]);
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &raw).unwrap();
            assert!(MeList::decode(&enc.finish().unwrap()).is_err());
        }
    }
}
