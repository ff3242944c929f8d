//! Upstream answers cached for one pass (spec §4): filesummaries per (dataset, validFileOnly), masked file
//! counts per (dataset, mask), dataset access types and figures for history entries, and answers
//! prefetched in batches ([`Upstream::fetch_many`], which a client may run concurrently).

use crate::document::Lookups;
use crate::upstream::{self, Call, FileSummary, ParentEntry, ParentMask, Upstream, UpstreamError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Datasets per batched `datasetlist` POST.
const DATASETLIST_BATCH: usize = 500;

/// What DBS said about one output dataset in this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFigures {
    pub access_type: String,
    pub summary: FileSummary,
}

pub struct RunCache<'a> {
    upstream: &'a dyn Upstream,
    /// Answers fetched ahead, each used once (an error too, so a failure still fails its workflow).
    prefetched: HashMap<Call, Result<Vec<u8>, UpstreamError>>,
    summaries: HashMap<(String, bool), FileSummary>,
    masked_events: HashMap<(String, String), i64>,
    /// `dataset_access_type` from `datasetlist`; `None`: DBS does not know the dataset.
    access_types: HashMap<String, Option<String>>,
    figures: HashMap<String, Option<DatasetFigures>>,
}

fn valid_only(access_type: &str) -> bool {
    matches!(access_type, "PRODUCTION" | "VALID")
}

impl<'a> RunCache<'a> {
    pub fn new(upstream: &'a dyn Upstream) -> Self {
        RunCache {
            upstream,
            prefetched: HashMap::new(),
            summaries: HashMap::new(),
            masked_events: HashMap::new(),
            access_types: HashMap::new(),
            figures: HashMap::new(),
        }
    }

    pub fn upstream(&self) -> &'a dyn Upstream {
        self.upstream
    }

    /// The answer to `call`: a prefetched one if there is one, else a fresh fetch.
    pub fn fetch(&mut self, call: &Call) -> Result<Vec<u8>, UpstreamError> {
        match self.prefetched.remove(call) {
            Some(answer) => answer,
            None => self.upstream.fetch(call),
        }
    }

    /// Fetches these calls in one batch for later [`RunCache::fetch`]es.
    pub fn prefetch(&mut self, calls: Vec<Call>) {
        let mut seen = std::collections::HashSet::new();
        let calls: Vec<Call> = calls
            .into_iter()
            .filter(|c| !self.prefetched.contains_key(c) && seen.insert(c.clone()))
            .collect();
        let answers = self.upstream.fetch_many(&calls);
        self.prefetched.extend(calls.into_iter().zip(answers));
    }

    /// Asks DBS about the datasets of many workflows at once: access types in a few `datasetlist`
    /// POSTs, then their filesummaries in one batch. Best effort: what fails here is asked again, per
    /// workflow, by [`RunCache::figures`].
    pub fn prefetch_figures(&mut self, datasets: &[String]) {
        let mut unknown: Vec<String> = datasets
            .iter()
            .filter(|d| !self.figures.contains_key(*d) && !self.access_types.contains_key(*d))
            .cloned()
            .collect();
        unknown.sort();
        unknown.dedup();
        for chunk in unknown.chunks(DATASETLIST_BATCH) {
            let call = Call::DbsDatasetList {
                datasets: chunk.to_vec(),
            };
            if let Ok(answer) = self
                .upstream
                .fetch(&call)
                .and_then(|b| upstream::parse_datasetlist(&b))
            {
                self.learn_access_types(chunk, answer);
            }
        }
        let summaries: Vec<Call> = datasets
            .iter()
            .filter(|d| !self.figures.contains_key(*d))
            .filter_map(|d| Some((d, self.access_types.get(d)?.as_deref()?)))
            .map(|(d, t)| (d.clone(), valid_only(t)))
            .filter(|key| !self.summaries.contains_key(key))
            .map(|(dataset, valid_only)| Call::DbsFileSummaries {
                dataset,
                valid_only,
            })
            .collect();
        self.prefetch(summaries);
    }

    fn learn_access_types(&mut self, asked: &[String], answer: Vec<(String, String)>) {
        for (dataset, access_type) in answer {
            if asked.contains(&dataset) {
                self.access_types
                    .entry(dataset)
                    .or_insert(Some(access_type));
            }
        }
        for dataset in asked {
            self.access_types.entry(dataset.clone()).or_insert(None);
        }
    }

    pub fn summary(
        &mut self,
        dataset: &str,
        valid_only: bool,
    ) -> Result<FileSummary, UpstreamError> {
        let key = (dataset.to_owned(), valid_only);
        if let Some(hit) = self.summaries.get(&key) {
            return Ok(*hit);
        }
        let call = Call::DbsFileSummaries {
            dataset: dataset.to_owned(),
            valid_only,
        };
        let summary = upstream::parse_filesummaries(&self.fetch(&call)?)?;
        self.summaries.insert(key, summary);
        Ok(summary)
    }

    /// Figures of `datasets`; those DBS does not know are absent from the answer. Access types not
    /// known yet come from one `datasetlist` call. Figures always include lumis, so a cached entry never
    /// needs a re-query for a lumi-tracked workflow (the spec's re-query Decision is about a cache
    /// without them).
    pub fn figures(
        &mut self,
        datasets: &[&str],
    ) -> Result<HashMap<String, DatasetFigures>, UpstreamError> {
        let untyped: Vec<String> = datasets
            .iter()
            .filter(|d| !self.figures.contains_key(**d) && !self.access_types.contains_key(**d))
            .map(|d| (*d).to_owned())
            .collect();
        if !untyped.is_empty() {
            let call = Call::DbsDatasetList {
                datasets: untyped.clone(),
            };
            let answer = upstream::parse_datasetlist(&self.fetch(&call)?)?;
            self.learn_access_types(&untyped, answer);
        }
        for dataset in datasets {
            if self.figures.contains_key(*dataset) {
                continue;
            }
            let figures = match self.access_types.get(*dataset).cloned().flatten() {
                Some(access_type) => {
                    let summary = self.summary(dataset, valid_only(&access_type))?;
                    Some(DatasetFigures {
                        access_type,
                        summary,
                    })
                }
                None => None,
            };
            self.figures.insert((*dataset).to_owned(), figures);
        }
        Ok(datasets
            .iter()
            .filter_map(|d| {
                self.figures
                    .get(*d)
                    .cloned()
                    .flatten()
                    .map(|f| ((*d).to_owned(), f))
            })
            .collect())
    }
}

impl Lookups for RunCache<'_> {
    fn input_events(
        &mut self,
        dataset: &str,
        lumi_mask: Option<&Map<String, Value>>,
    ) -> Result<i64, String> {
        let Some(mask) = lumi_mask else {
            return self
                .summary(dataset, false)
                .map(|s| s.events)
                .map_err(|e| e.to_string());
        };
        let mask_key = Value::Object(mask.clone()).to_string();
        if let Some(hit) = self
            .masked_events
            .get(&(dataset.to_owned(), mask_key.clone()))
        {
            return Ok(*hit);
        }
        let mut total = 0i64;
        for (run, ranges) in mask {
            // Compact JSON has no spaces, as DBS wants the lumi_list.
            let call = Call::DbsFiles {
                dataset: dataset.to_owned(),
                run: run.clone(),
                lumi_list: ranges.to_string(),
                valid_only: false,
            };
            let body = self.fetch(&call).map_err(|e| e.to_string())?;
            total = total.saturating_add(
                upstream::parse_files_event_count(&body).map_err(|e| e.to_string())?,
            );
        }
        self.masked_events
            .insert((dataset.to_owned(), mask_key), total);
        Ok(total)
    }

    fn parents(
        &mut self,
        prep_id: &str,
        mask: ParentMask,
    ) -> Result<Vec<(String, ParentEntry)>, String> {
        let call = Call::ParentLookup {
            prep_id: prep_id.to_owned(),
            mask,
        };
        let body = self.fetch(&call).map_err(|e| e.to_string())?;
        upstream::parse_parent_lookup(&body).map_err(|e| e.to_string())
    }
}
