//! The ROOTFilePB schema (`dqmstorepb`, proto2) as prost derive types, and the top-level record scan.

use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};

/// One monitor element of a PB file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histo {
    #[prost(string, required, tag = "1")]
    pub full_pathname: String,
    /// Uncompressed length of `streamed_histo`.
    #[prost(uint32, required, tag = "2")]
    pub size: u32,
    #[prost(bytes = "vec", required, tag = "3")]
    pub streamed_histo: Vec<u8>,
    /// `kind | property bits`.
    #[prost(uint32, required, tag = "4")]
    pub flags: u32,
}

/// The whole file; listed through [`histo_records`] instead, so that each record keeps its offset.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RootFilePb {
    #[prost(message, repeated, tag = "1")]
    pub histo: Vec<Histo>,
}

/// `(offset, length)` of every `histo` (field 1) message in a serialised `ROOTFilePB`.
pub fn histo_records(data: &[u8]) -> Result<Vec<(usize, usize)>, String> {
    let mut buf = data;
    let mut records = Vec::new();
    while !buf.is_empty() {
        let at = data.len() - buf.len();
        let (tag, wire) =
            decode_key(&mut buf).map_err(|e| format!("PB record key at offset {at}: {e}"))?;
        if tag == 1 && wire == WireType::LengthDelimited {
            let len = decode_varint(&mut buf)
                .map_err(|e| format!("PB record length at offset {at}: {e}"))?;
            let len = usize::try_from(len).ok().filter(|l| *l <= buf.len());
            let len = len
                .ok_or_else(|| format!("PB record at offset {at} runs past the end of the file"))?;
            records.push((data.len() - buf.len(), len));
            buf = &buf[len..];
        } else {
            skip_field(wire, tag, &mut buf, DecodeContext::default())
                .map_err(|e| format!("PB field {tag} at offset {at}: {e}"))?;
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn records_round_trip() {
        let histo = |n: &str| Histo {
            full_pathname: n.into(),
            size: 1,
            streamed_histo: vec![7],
            flags: 3,
        };
        let file = RootFilePb {
            histo: vec![histo("a/b"), histo("c")],
        }
        .encode_to_vec();
        let recs = histo_records(&file).unwrap();
        assert_eq!(recs.len(), 2);
        let second = Histo::decode(&file[recs[1].0..recs[1].0 + recs[1].1]).unwrap();
        assert_eq!(second.full_pathname, "c");
    }

    #[test]
    fn truncated_records_fail() {
        let file = RootFilePb {
            histo: vec![Histo {
                full_pathname: "x".into(),
                size: 0,
                streamed_histo: vec![],
                flags: 1,
            }],
        }
        .encode_to_vec();
        for cut in 1..file.len() {
            assert!(histo_records(&file[..cut]).is_err(), "cut at {cut}");
        }
    }
}
