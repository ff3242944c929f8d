//! The small shared bases: TNamed and the TAtt* attribute classes.

use super::Decoder;
use crate::buffer::TObject;
use crate::error::Result;

/// TNamed: TObject plus name and title.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Named {
    pub object: TObject,
    pub name: String,
    pub title: String,
}

/// TAttLine.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttLine {
    pub color: i16,
    pub style: i16,
    pub width: i16,
}

/// TAttFill.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttFill {
    pub color: i16,
    pub style: i16,
}

/// TAttMarker.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttMarker {
    pub color: i16,
    pub style: i16,
    pub size: f32,
}

/// TAttAxis.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttAxis {
    pub ndivisions: i32,
    pub axis_color: i16,
    pub label_color: i16,
    pub label_font: i16,
    pub label_offset: f32,
    pub label_size: f32,
    pub tick_length: f32,
    pub title_offset: f32,
    pub title_size: f32,
    pub title_color: i16,
    pub title_font: i16,
}

impl Named {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TNamed", 1, 1, |d, _| {
            let object = d.tobject()?;
            Ok(Named { object, name: d.tstring()?, title: d.tstring()? })
        })
    }
}

impl AttLine {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TAttLine", 1, 2, |d, _| Ok(AttLine { color: d.i16()?, style: d.i16()?, width: d.i16()? }))
    }
}

impl AttFill {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TAttFill", 1, 2, |d, _| Ok(AttFill { color: d.i16()?, style: d.i16()? }))
    }
}

impl AttMarker {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TAttMarker", 1, 3, |d, _| Ok(AttMarker { color: d.i16()?, style: d.i16()?, size: d.f32()? }))
    }
}

impl AttAxis {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TAttAxis", 4, 4, |d, _| {
            Ok(AttAxis {
                ndivisions: d.i32()?,
                axis_color: d.i16()?,
                label_color: d.i16()?,
                label_font: d.i16()?,
                label_offset: d.f32()?,
                label_size: d.f32()?,
                tick_length: d.f32()?,
                title_offset: d.f32()?,
                title_size: d.f32()?,
                title_color: d.i16()?,
                title_font: d.i16()?,
            })
        })
    }
}
