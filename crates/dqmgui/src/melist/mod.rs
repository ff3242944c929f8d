//! The per-sample ME list blob: byte-sorted names plus a parallel info table, zlib-compressed when large.
//!
//! Every archive and json request reads its sample's list, mostly for one folder or one ME, so reading a list
//! must not decode every ME: the list is kept as its encoding, a name is found by binary search through an end
//! offset table, and an ME's [`Info`] is decoded only when asked for.
//!
//! A list whose encoding is at most [`RAW_LIMIT`] bytes is stored as is: inflating costs more than the bytes it
//! saves. Larger lists are zlib streams (which never start with the magic, so a reader tells them apart by their
//! first bytes).
//!
//! Layout before compression (version 2; the counts and tables are u32 little-endian):
//! `b"DQML" 2 count names_len` · `count × name end` (offset in the names) · names bytes ·
//! `count × info end` (offset in the infos) · infos, one [`Info`] record per name (`melist/info.rs` has its encoding).
//! Version 1 lists, stored before, are read too (`melist/v1.rs`).

mod info;
mod v1;

use std::io::Read;
use std::ops::Range;

use dqm_formats::Me;

pub use info::Info;
use info::Cursor;

const MAGIC: &[u8] = b"DQML\x02";
/// Magic, count and names length.
const HEADER_LEN: usize = MAGIC.len() + 8;
/// Encodings up to this size are stored uncompressed.
pub const RAW_LIMIT: usize = 1 << 20;
/// A decompressed list larger than this is refused (corrupt or hostile blob).
const MAX_INFLATED: u64 = 512 << 20;

/// The ME index of one sample, sorted byte-wise by path, one entry per path.
#[derive(Clone, Debug, PartialEq)]
pub struct MeList {
    /// The version-2 encoding, uncompressed: names, tables and infos are read from it in place.
    raw: Vec<u8>,
    count: usize,
    name_ends_at: usize,
    names_at: usize,
    info_ends_at: usize,
    infos_at: usize,
}

impl MeList {
    /// Builds the index from listed MEs (any order; for a path listed twice the first is kept).
    pub fn from_mes(mes: &[Me]) -> MeList {
        let mut entries: Vec<(String, &Me)> = mes.iter().map(|m| (m.path_string(), m)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        let infos = entries.iter().map(|(path, me)| {
            let mut qtests: Vec<(String, i32)> = me.qtests.iter().map(|q| (q.name.clone(), q.status)).collect();
            qtests.sort();
            (path.as_str(), Info { me_type: me.me_type, location: me.location.clone(), value: me.value.clone(), qtests, efficiency: me.efficiency })
        });
        MeList::from_entries(infos.collect())
    }

    /// Encodes sorted, distinct `(path, info)` entries.
    fn from_entries(entries: Vec<(&str, Info)>) -> MeList {
        let (mut names, mut infos) = (Vec::new(), Vec::new());
        let (mut name_ends, mut info_ends) = (Vec::with_capacity(entries.len() * 4), Vec::with_capacity(entries.len() * 4));
        for (name, info) in &entries {
            names.extend_from_slice(name.as_bytes());
            info.encode(&mut infos);
            name_ends.extend_from_slice(&table_value(names.len()));
            info_ends.extend_from_slice(&table_value(infos.len()));
        }
        let mut raw = Vec::with_capacity(HEADER_LEN + name_ends.len() * 2 + names.len() + infos.len());
        raw.extend_from_slice(MAGIC);
        raw.extend_from_slice(&table_value(entries.len()));
        raw.extend_from_slice(&table_value(names.len()));
        for part in [&name_ends, &names, &info_ends, &infos] {
            raw.extend_from_slice(part);
        }
        MeList::parse(raw).expect("a list just encoded parses")
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Entry `i` of the table at `at` (bounds checked when the list was parsed).
    fn table(&self, at: usize, i: usize) -> usize {
        let at = at + 4 * i;
        u32::from_le_bytes(self.raw[at..at + 4].try_into().expect("4 bytes")) as usize
    }

    /// Where entry `i` starts and ends in the region whose end table is at `ends_at`.
    fn span(&self, ends_at: usize, i: usize) -> Range<usize> {
        assert!(i < self.count, "ME {i} of {}", self.count);
        let start = if i == 0 { 0 } else { self.table(ends_at, i - 1) };
        start..self.table(ends_at, i)
    }

    pub fn name(&self, i: usize) -> &str {
        let span = self.span(self.name_ends_at, i);
        // Never empty by error: parsing checked the names are UTF-8 and every end is a char boundary.
        std::str::from_utf8(&self.raw[self.names_at + span.start..self.names_at + span.end]).unwrap_or_default()
    }

    /// The info of ME `i`, decoded now (an error if the stored list is corrupt there).
    pub fn info(&self, i: usize) -> Result<Info, String> {
        let span = self.span(self.info_ends_at, i);
        // Checked: only the last info end was checked at parse, and on 32-bit targets (wasm) the sums can wrap.
        let (start, end) = (self.infos_at.checked_add(span.start), self.infos_at.checked_add(span.end));
        let bytes = start.zip(end).filter(|(start, end)| start <= end).and_then(|(start, end)| self.raw.get(start..end));
        let mut cur = Cursor { bytes: bytes.ok_or("ME list has an info outside its table")?, at: 0 };
        let info = Info::decode(&mut cur)?;
        if cur.at != cur.bytes.len() {
            return Err("ME list has bytes after an info".into());
        }
        Ok(info)
    }

    /// The indexes of the paths starting with `prefix` (contiguous, since names are sorted).
    pub fn prefix_range(&self, prefix: &str) -> Range<usize> {
        let start = self.partition(|name| name < prefix);
        let end = start + self.prefix_len_from(start, prefix);
        start..end
    }

    /// How many names from index `start` on start with `prefix` (they are contiguous).
    pub fn prefix_len_from(&self, start: usize, prefix: &str) -> usize {
        self.partition_from(start, |name| name.starts_with(prefix))
    }

    /// The index of `path`, if listed.
    pub fn find(&self, path: &str) -> Option<usize> {
        let i = self.partition(|name| name < path);
        (i < self.len() && self.name(i) == path).then_some(i)
    }

    fn partition(&self, before: impl Fn(&str) -> bool) -> usize {
        self.partition_from(0, before)
    }

    /// How many names from `start` on satisfy `inside` (which holds for a prefix of them).
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
    pub fn me(&self, i: usize, run: u32, lumi: u32) -> Result<Me, String> {
        let info = self.info(i)?;
        Ok(Me {
            path: self.name(i).split('/').map(str::to_owned).collect(),
            me_type: info.me_type,
            run,
            lumi,
            efficiency: info.efficiency,
            qtests: Vec::new(),
            location: info.location,
            value: info.value,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        if self.raw.len() <= RAW_LIMIT {
            return self.raw.clone();
        }
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &self.raw).expect("writing to a Vec cannot fail");
        encoder.finish().expect("writing to a Vec cannot fail")
    }

    pub fn decode(blob: &[u8]) -> Result<MeList, String> {
        MeList::decode_owned(blob.to_vec())
    }

    /// Like [`MeList::decode`], keeping `blob` as the list when it is stored raw (no copy).
    pub fn decode_owned(blob: Vec<u8>) -> Result<MeList, String> {
        let raw = if blob.starts_with(b"DQML") {
            blob
        } else {
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(blob.as_slice())
                .take(MAX_INFLATED)
                .read_to_end(&mut inflated)
                .map_err(|e| format!("ME list does not inflate: {e}"))?;
            inflated
        };
        if raw.starts_with(v1::MAGIC) {
            return Ok(MeList::from_entries(v1::decode(&raw)?));
        }
        MeList::parse(raw)
    }

    /// Checks the header and the name table of a version-2 encoding (infos are checked when read).
    fn parse(raw: Vec<u8>) -> Result<MeList, String> {
        let truncated = || "ME list is truncated".to_owned();
        if !raw.starts_with(MAGIC) {
            return Err("ME list has an unknown header".into());
        }
        let header = raw.get(MAGIC.len()..HEADER_LEN).ok_or_else(truncated)?;
        let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes")) as usize;
        let (count, names_len) = (word(0), word(4));
        let table_len = count.checked_mul(4).ok_or_else(truncated)?;
        let name_ends_at = HEADER_LEN;
        let names_at = name_ends_at.checked_add(table_len).ok_or_else(truncated)?;
        let info_ends_at = names_at.checked_add(names_len).ok_or_else(truncated)?;
        let infos_at = info_ends_at.checked_add(table_len).filter(|at| *at <= raw.len()).ok_or_else(truncated)?;
        let names = &raw[names_at..info_ends_at];
        // Paths are nearly always ASCII, which is much faster to check than UTF-8.
        if !names.is_ascii() && std::str::from_utf8(names).is_err() {
            return Err("ME list has a non-UTF-8 name".into());
        }
        let char_boundary = |at: usize| names.get(at).map_or(at == names.len(), |b| (*b as i8) >= -0x40);
        let mut previous = 0;
        for end in raw[name_ends_at..names_at].chunks_exact(4) {
            let end = u32::from_le_bytes(end.try_into().expect("4 bytes")) as usize;
            if end < previous || !char_boundary(end) {
                return Err("ME list has a bad name table".into());
            }
            previous = end;
        }
        let list = MeList { raw, count, name_ends_at, names_at, info_ends_at, infos_at };
        // A cut blob loses its last infos first: catch it here rather than when one is read.
        if count > 0 && list.table(info_ends_at, count - 1) > list.raw.len() - infos_at {
            return Err("ME list is truncated".into());
        }
        Ok(list)
    }
}

/// A length or offset as a table entry (lists are far below 4 GiB: [`MAX_INFLATED`]).
fn table_value(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqm_formats::{EntrySpan, Location, MeType, Scalar, ValueEncoding};

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
        assert_eq!(decoded.find("A/b/Eff").map(|i| decoded.info(i).unwrap().efficiency), Some(true));
        assert_eq!(decoded.find("A/b"), None);
        assert_eq!(decoded.info(0).unwrap().value, Some(Scalar::Float(0.987)));
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
        let got: Vec<Location> = (0..decoded.len()).map(|i| decoded.info(i).unwrap().location).collect();
        assert_eq!(got, locations);
    }

    #[test]
    fn version_1_lists_read_as_before() {
        let mut mes: Vec<Me> = (0..300).map(|i| me(&format!("F{}/h{i}", i % 7), MeType::TH1F, None)).collect();
        mes[3].qtests.push(dqm_formats::QTest { name: "q".into(), status: 300, result: 0.5, algorithm: String::new(), message: String::new() });
        mes.push(me("F/i", MeType::Int, Some(Scalar::Int(7))));
        let list = MeList::from_mes(&mes);
        let entries: Vec<(&str, Info)> = (0..list.len()).map(|i| (list.name(i), list.info(i).unwrap())).collect();
        let old = v1::encode(&entries);
        assert_eq!(MeList::decode(&old).unwrap(), list);
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &old).unwrap();
        assert_eq!(MeList::decode(&enc.finish().unwrap()).unwrap(), list);
        assert!(MeList::decode(&old[..old.len() - 1]).is_err());
    }

    #[test]
    fn a_corrupt_info_is_an_error_when_read() {
        let list = MeList::from_mes(&[me("A/a", MeType::TH1F, None), me("A/b", MeType::TH1F, None)]);
        let mut raw = list.encode();
        let first_info = list.infos_at;
        raw[first_info] = 200; // no such type
        let corrupt = MeList::decode(&raw).unwrap();
        assert!(corrupt.info(0).is_err());
        assert_eq!(corrupt.info(1), list.info(1));
        assert_eq!(corrupt.find("A/b"), Some(1));
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
