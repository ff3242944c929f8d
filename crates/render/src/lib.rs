//! Draws DQM histograms (our own [`Plot`] model) into ROOT-style PNGs; pure Rust, native and wasm32-wasip2.
//!
//! # Use
//! ```
//! use render::{render, Axis, Options, Plot, Rules};
//! let plot = Plot::h1("NumberOfTracks", "Number of Tracks", Axis::uniform(4, 0.0, 4.0), vec![1.0, 5.0, 3.0, 0.0]);
//! let opts = Options::from_query([("w", "400"), ("h", "300"), ("ytype", "log")]).unwrap();
//! let style = Rules::builtin().style_for("Tracking/TrackParameters/GeneralProperties/NumberOfTracks");
//! let png = render(&plot, &opts, &style).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```
//! - [`Options::from_query`] parses the `/render` query (spec §7); its [`OptionsError`] is the 400 message.
//! - [`render`] draws one ME, [`render_overlay`] a main object plus references (`ref=overlay`,
//!   `ratiooverlay`, `stacked`); [`render_not_found`] is the "ME not found" tile.
//! - [`RenderError::MixedKinds`] (scalars with histograms) is a 400; other errors are render failures.
//!
//! # Render rules (`rules.toml`)
//! Rules replace the original's C++ render plugins. The file is a list of `[[rule]]` tables, tried in
//! order; every rule whose `pattern` matches the ME path sets the fields it names, so for each field
//! the **last** matching rule wins. Query parameters then override the rules.
//!
//! | key | value | effect |
//! |---|---|---|
//! | `pattern` | glob (required) | ME path; `*` = any run without `/`, `**` = anything (`**/` also matches no folder), `?` = one character |
//! | `drawopts` | ROOT draw options | default draw options: `colz col box text hist e p l f` (used when the query has none) |
//! | `xtype` `ytype` `ztype` | `"lin"` / `"log"` | default axis scales |
//! | `xmin` … `zmax` | number | fixed axis limits (either bound alone is fine) |
//! | `palette` | `bird` `rainbow` `grey` `summary` `blues` | colour map of 2-D plots |
//! | `stats` / `errors` | bool | stats box / error bars by default |
//! | `fill` / `line_color` | `"#rrggbb"` or `"#rrggbbaa"` | 1-D fill colour (turns filling on) and line colour |
//! | `grid` | bool | dotted grid at the major ticks |
//! | `labels` | `auto` `horizontal` `vertical` `hidden` | alphanumeric bin labels: auto-rotate, force, or show numbers |
//! | `lines` | `[{ axis = "x"/"y", value, color?, dashed? }]` | reference lines over the data |
//! | `bands` | `[{ axis = "x"/"y", from, to, color? }]` | shaded bands behind the data (use alpha) |
//!
//! Unknown keys, bad colours, palettes or scales are errors ([`Rules::from_toml`]), so typos do not
//! pass silently. [`Rules::builtin`] is the shipped `crates/render/rules.toml`.
//!
//! # Text
//! Titles and axis titles use a TLatex subset: `#greek` letters and symbols (`#eta`, `#pm`, `#times`,
//! `#rightarrow`, …), `_{sub}` and `^{sup}`; `#bf{}`, `#it{}`, `#color[n]{}` keep their content.
//! Scalars, legends and names are drawn literally. The font is DejaVu Sans, subset and renamed
//! "DQM Sans" (`fonts/`, licence in `fonts/LICENSE-DejaVu.txt`).
mod axes;
pub mod canvas;
mod compose;
mod decor;
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
pub use model::{profile_bins, strip_flows, Axis, Kind, Plot, Stats};
pub use options::{Dialect, Limits, Options, OptionsError, RefMode, Scale, MAX_SIZE};
pub use palette::Palette;
pub use rules::{Rules, RulesError, Style};

/// `Content-Type` of every image this crate produces.
pub const CONTENT_TYPE: &str = "image/png";
