//! Draws DQM histograms (our own [`Plot`] model) into ROOT-style PNGs; pure Rust, native and wasm32-wasip2.
mod axes;
pub mod canvas;
mod compose;
mod draw1d;
mod draw2d;
mod look;
pub mod model;
pub mod options;
pub mod palette;
pub mod rules;
pub mod text;
pub mod ticks;
pub use compose::{render, render_message, render_not_found, render_overlay, RenderError, REF_COLORS};
pub use look::DrawOpts;
pub use model::{Axis, Kind, Plot, Stats};
pub use options::{Dialect, Limits, Options, OptionsError, RefMode, Scale, MAX_SIZE};
pub use palette::Palette;
pub use rules::{Rules, RulesError, Style};
