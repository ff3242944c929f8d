//! Upstream answers cached for one pass (spec §4): filesummaries per (dataset, validFileOnly), masked file
//! counts per (dataset, mask), and dataset figures for history entries.

use crate::document::Lookups;
use crate::upstream::{self, Call, FileSummary, ParentEntry, ParentMask, Upstream, UpstreamError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What DBS said about one output dataset in this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFigures {
    pub access_type: String,
    pub summary: FileSummary,
}

pub struct RunCache<'a> {
    upstream: &'a dyn Upstream,
    summaries: HashMap<(String, bool), FileSummary>,
    masked_events: HashMap<(String, String), i64>,
    /// `None`: DBS does not know the dataset (remembered too, so it is asked once per pass).
    figures: HashMap<String, Option<DatasetFigures>>,
}

impl<'a> RunCache<'a> {
    pub fn new(upstream: &'a dyn Upstream) -> Self {
        RunCache {
            upstream,
            summaries: HashMap::new(),
            masked_events: HashMap::new(),
            figures: HashMap::new(),
        }
    }

    pub fn upstream(&self) -> &'a dyn Upstream {
        self.upstream
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
        let summary = upstream::parse_filesummaries(&self.upstream.fetch(&call)?)?;
        self.summaries.insert(key, summary);
        Ok(summary)
    }

    /// Figures of `datasets` (from one `datasetlist` call for those not asked yet in this pass); datasets
    /// DBS does not know are absent from the answer. Figures always include lumis, so a cached entry never needs a
    /// re-query for a lumi-tracked workflow (the spec's re-query Decision is about a cache without them).
    pub fn figures(
        &mut self,
        datasets: &[&str],
    ) -> Result<HashMap<String, DatasetFigures>, UpstreamError> {
        let missing: Vec<String> = datasets
            .iter()
            .filter(|d| !self.figures.contains_key(**d))
            .map(|d| (*d).to_owned())
            .collect();
        if !missing.is_empty() {
            let call = Call::DbsDatasetList {
                datasets: missing.clone(),
            };
            for (dataset, access_type) in upstream::parse_datasetlist(&self.upstream.fetch(&call)?)?
            {
                if !missing.contains(&dataset)
                    || self.figures.get(&dataset).is_some_and(Option::is_some)
                {
                    continue;
                }
                let valid_only = matches!(access_type.as_str(), "PRODUCTION" | "VALID");
                let summary = self.summary(&dataset, valid_only)?;
                self.figures.insert(
                    dataset,
                    Some(DatasetFigures {
                        access_type,
                        summary,
                    }),
                );
            }
            for dataset in missing {
                self.figures.entry(dataset).or_insert(None);
            }
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
            let body = self.upstream.fetch(&call).map_err(|e| e.to_string())?;
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
        let body = self.upstream.fetch(&call).map_err(|e| e.to_string())?;
        upstream::parse_parent_lookup(&body).map_err(|e| e.to_string())
    }
}
