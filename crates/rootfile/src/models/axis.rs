//! TAxis: binning, variable edges and alphanumeric labels.

use super::base::{AttAxis, Named};
use super::list::List;
use super::Decoder;
use crate::error::Result;

/// TAxis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axis {
    pub named: Named,
    pub att: AttAxis,
    pub nbins: i32,
    pub xmin: f64,
    pub xmax: f64,
    /// Variable bin edges (`nbins + 1` values), empty for fixed binning.
    pub xbins: Vec<f64>,
    pub first: i32,
    pub last: i32,
    pub bits2: u16,
    pub time_display: bool,
    pub time_format: String,
    /// THashList of TObjString; each string's fUniqueID is its bin number.
    pub labels: Option<List>,
    pub mod_labs: Option<List>,
}

impl Axis {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TAxis", 9, 10, |d, version| {
            let named = Named::read(d)?;
            let att = AttAxis::read(d)?;
            let nbins = d.i32()?;
            let xmin = d.f64()?;
            let xmax = d.f64()?;
            let xbins = d.array_f64()?;
            let first = d.i32()?;
            let last = d.i32()?;
            let bits2 = d.u16()?;
            let time_display = d.bool()?;
            let time_format = d.tstring()?;
            let labels = d.list_pointer()?;
            let mod_labs = if version >= 10 { d.list_pointer()? } else { None };
            Ok(Axis {
                named,
                att,
                nbins,
                xmin,
                xmax,
                xbins,
                first,
                last,
                bits2,
                time_display,
                time_format,
                labels,
                mod_labs,
            })
        })
    }

    /// The label of bin `bin` (1-based), if the axis has one.
    pub fn label(&self, bin: u32) -> Option<&str> {
        self.labels.as_ref()?.items.iter().find_map(|item| match &item.object {
            Some(super::Object::ObjString(s)) if s.object.unique_id == bin => Some(s.string.as_str()),
            _ => None,
        })
    }
}
