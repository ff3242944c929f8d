//! Format 1: legacy TDirectory files, `DQMData/Run N/<Sub>/Run summary/<dirs…>/<object>` (§4).

use crate::listing::Listing;
use crate::me::{Location, Me, Scalar};
use crate::tags::{self, Tag};
use crate::types::MeType;
use rootfile::container::{Directory, KeyHeader, RootFile};
use rootfile::error::{Error, Result};
use rootfile::source::ByteSource;

/// Path fragment of SiStrip MEs whose number varies per run; such MEs are skipped (§4, Decision: configurable).
pub const DEFAULT_BLACKLIST: &[&str] = &["BadModuleList"];

/// Lists the MEs of every `Run N` directory of a legacy file, skipping paths containing a blacklisted fragment.
pub fn list<S: ByteSource>(file: &RootFile<S>, blacklist: &[&str]) -> Result<Listing> {
    let mut out = Listing::default();
    let Some(dqm) = file.top().get("DQMData").filter(|k| k.is_directory()) else {
        return Err(Error::new(format!("{}: no DQMData directory", file.name())));
    };
    let dqm = file.directory(dqm)?;
    for run_key in dqm.latest_keys().into_iter().filter(|k| k.is_directory()) {
        let Some(run) = run_key
            .name
            .strip_prefix("Run ")
            .and_then(|n| n.trim().parse::<u32>().ok())
        else {
            continue;
        };
        let run_dir = file.directory(run_key)?;
        for sub_key in run_dir
            .latest_keys()
            .into_iter()
            .filter(|k| k.is_directory())
        {
            let sub_dir = file.directory(sub_key)?;
            // Only `<Subsystem>/Run summary/…` holds MEs; anything else in the run directory is ignored.
            let Some(summary) = sub_dir.get("Run summary").filter(|k| k.is_directory()) else {
                continue;
            };
            let summary = file.directory(summary)?;
            let mut path = vec![sub_key.name.clone()];
            let mut walker = Walker {
                file,
                run,
                blacklist,
                out: &mut out,
            };
            walker.walk(&summary, &mut path, 0)?;
        }
    }
    out.sort();
    Ok(out)
}

struct Walker<'a, S: ByteSource> {
    file: &'a RootFile<S>,
    run: u32,
    blacklist: &'a [&'a str],
    out: &'a mut Listing,
}

impl<S: ByteSource> Walker<'_, S> {
    fn walk(&mut self, dir: &Directory, path: &mut Vec<String>, depth: usize) -> Result<()> {
        if depth > rootfile::container::file::MAX_DEPTH {
            return Err(Error::new(format!(
                "{}: directories nested too deeply",
                self.file.name()
            )));
        }
        let keys = dir.latest_keys();
        let first_me = self.out.mes.len();
        let mut tags = Vec::new();
        for key in &keys {
            if key.is_directory() {
                path.push(key.name.clone());
                let sub = self.file.directory(key)?;
                self.walk(&sub, path, depth + 1)?;
                path.pop();
            } else if key.class_name == "TObjString" && key.name.starts_with('<') {
                tags.push(*key);
            } else if let Some(me_type) = MeType::from_class(&key.class_name) {
                self.push(path, key.name.clone(), me_type, key, None);
            }
        }
        // Scalars first, so that flags and qtests can find every ME of the directory.
        let mut flags = Vec::new();
        for key in tags {
            let Some((name, tag)) = tags::parse(&key.name) else {
                continue;
            };
            match tag {
                Tag::Int(v) => self.push(path, name.into(), MeType::Int, key, Some(Scalar::Int(v))),
                Tag::Float(v) => self.push(
                    path,
                    name.into(),
                    MeType::Float,
                    key,
                    Some(Scalar::Float(v)),
                ),
                Tag::String(v) => self.push(
                    path,
                    name.into(),
                    MeType::String,
                    key,
                    Some(Scalar::String(v.into())),
                ),
                Tag::Efficiency | Tag::QTest(_) => flags.push((name, tag)),
                Tag::Unknown => self.out.warn(format!(
                    "unknown tag key {:?} in {}",
                    key.name,
                    path.join("/")
                )),
            }
        }
        let dir_mes = first_me..self.out.mes.len();
        let find = |mes: &[Me], name: &str| {
            dir_mes
                .clone()
                .find(|&i| mes[i].path.last().is_some_and(|n| n == name))
        };
        for (name, tag) in flags {
            match tag {
                Tag::Efficiency => match find(&self.out.mes, name) {
                    Some(i) => self.out.mes[i].efficiency = true,
                    None => self.out.warn(format!(
                        "efficiency flag for missing ME {name:?} in {}",
                        path.join("/")
                    )),
                },
                Tag::QTest(mut test) => {
                    let split =
                        tags::split_qtest_name(name, |me| find(&self.out.mes, me).is_some());
                    match split.and_then(|(me, qt)| find(&self.out.mes, me).map(|i| (i, qt))) {
                        Some((i, qt)) => {
                            test.name = qt.to_string();
                            self.out.mes[i].qtests.push(test);
                        }
                        None => self.out.warn(format!(
                            "qtest {name:?} for a missing ME in {}",
                            path.join("/")
                        )),
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn push(
        &mut self,
        dirs: &[String],
        name: String,
        me_type: MeType,
        key: &KeyHeader,
        value: Option<Scalar>,
    ) {
        let mut path = dirs.to_vec();
        path.push(name);
        if path
            .iter()
            .any(|c| self.blacklist.iter().any(|b| c.contains(b)))
        {
            return;
        }
        let location = Location::Key {
            seek: key.seek_key,
            nbytes: key.nbytes as u32,
        };
        self.out.mes.push(Me {
            path,
            me_type,
            run: self.run,
            lumi: 0,
            efficiency: false,
            qtests: Vec::new(),
            location,
            value,
        });
    }
}

/// Reads the key header at `seek` (the location a legacy ME carries).
pub fn key_at<S: ByteSource>(file: &RootFile<S>, seek: u64) -> Result<KeyHeader> {
    KeyHeader::read_record(file.source(), seek)
        .map(|record| record.header)
        .map_err(|e| e.context(file.name()))
}
