//! A thin drawing surface over a tiny-skia pixmap, with PNG (RGB) encoding.

use tiny_skia::{Paint, PathBuilder, Pixmap, PremultipliedColorU8, Stroke, StrokeDash, Transform};

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

pub const BLACK: Rgba = Rgba(0, 0, 0, 255);
pub const WHITE: Rgba = Rgba(255, 255, 255, 255);

impl Rgba {
    /// `#rrggbb` or `#rrggbbaa`.
    pub fn parse(s: &str) -> Option<Rgba> {
        let hex = s.strip_prefix('#')?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        let a = if hex.len() == 8 { byte(6)? } else { 255 };
        Some(Rgba(byte(0)?, byte(2)?, byte(4)?, a))
    }
    fn paint(self, anti_alias: bool) -> Paint<'static> {
        let mut p = Paint::default();
        p.set_color_rgba8(self.0, self.1, self.2, self.3);
        p.anti_alias = anti_alias;
        p
    }
}

pub struct Canvas {
    pix: Pixmap,
}

impl Canvas {
    /// A white canvas; `None` for a zero size.
    pub fn new(width: u32, height: u32) -> Option<Canvas> {
        let mut pix = Pixmap::new(width, height)?;
        pix.fill(tiny_skia::Color::WHITE);
        Some(Canvas { pix })
    }
    pub fn width(&self) -> f32 {
        self.pix.width() as f32
    }
    pub fn height(&self) -> f32 {
        self.pix.height() as f32
    }

    /// Axis-aligned rectangle snapped to whole pixels (so adjacent bins tile without seams).
    /// Written straight into the pixel buffer: most of a plot is such rectangles, and tiny-skia's
    /// per-call pipeline set-up dominated their cost (notably in wasm without SIMD).
    pub fn fill_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgba) {
        let (w, h) = (self.pix.width() as f32, self.pix.height() as f32);
        let clamp = |v: f32, max: f32| if v.is_nan() { 0.0 } else { v.round().clamp(0.0, max) };
        let (l, r) = (clamp(x0.min(x1), w) as usize, clamp(x0.max(x1), w) as usize);
        let (t, b) = (clamp(y0.min(y1), h) as usize, clamp(y0.max(y1), h) as usize);
        if l >= r || t >= b || color.3 == 0 {
            return;
        }
        let stride = self.pix.width() as usize;
        if color.3 == 255 {
            let Some(px) = PremultipliedColorU8::from_rgba(color.0, color.1, color.2, 255) else { return };
            let pixels = self.pix.pixels_mut();
            for row in t..b {
                pixels[row * stride + l..row * stride + r].fill(px);
            }
        } else {
            for row in t..b {
                for col in l..r {
                    self.blend(col as i32, row as i32, 255, color);
                }
            }
        }
    }

    /// A 1-px crisp horizontal line from x0 to x1 at row y.
    pub fn hline(&mut self, x0: f32, x1: f32, y: f32, color: Rgba) {
        let y = y.round();
        self.fill_rect(x0.min(x1), y - 0.5, x0.max(x1) + 1.0, y + 0.5, color);
    }
    /// A 1-px crisp vertical line from y0 to y1 at column x.
    pub fn vline(&mut self, x: f32, y0: f32, y1: f32, color: Rgba) {
        let x = x.round();
        self.fill_rect(x - 0.5, y0.min(y1), x + 0.5, y0.max(y1) + 1.0, color);
    }
    /// Outline of a rectangle with crisp 1-px edges.
    pub fn stroke_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgba) {
        self.hline(x0, x1, y0, color);
        self.hline(x0, x1, y1, color);
        self.vline(x0, y0, y1, color);
        self.vline(x1, y0, y1, color);
    }

    /// An anti-aliased polyline; `dashed` uses 4-on 3-off dashes.
    pub fn polyline(&mut self, points: &[(f32, f32)], width: f32, color: Rgba, dashed: bool) {
        let mut pb = PathBuilder::new();
        let mut started = false;
        for &(x, y) in points {
            if !(x.is_finite() && y.is_finite()) {
                started = false;
                continue;
            }
            if started {
                pb.line_to(x, y);
            } else {
                pb.move_to(x, y);
                started = true;
            }
        }
        let Some(path) = pb.finish() else { return };
        let mut stroke = Stroke { width, ..Stroke::default() };
        if dashed {
            stroke.dash = StrokeDash::new(vec![4.0 * width, 3.0 * width], 0.0);
        }
        self.pix.stroke_path(&path, &color.paint(true), &stroke, Transform::identity(), None);
    }

    /// A filled, anti-aliased disc (coverage from the distance to the rim; no path needed).
    pub fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgba) {
        if !(cx.is_finite() && cy.is_finite()) {
            return;
        }
        let r = r.clamp(0.5, 64.0);
        let (x0, x1) = ((cx - r - 1.0).floor() as i32, (cx + r + 1.0).ceil() as i32);
        let (y0, y1) = ((cy - r - 1.0).floor() as i32, (cy + r + 1.0).ceil() as i32);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let cov = (r + 0.5 - d).clamp(0.0, 1.0);
                self.blend(x, y, (cov * 255.0) as u8, color);
            }
        }
    }

    /// Blends `color` into pixel (x, y) with the given coverage (0–255); out-of-range pixels are ignored.
    pub fn blend(&mut self, x: i32, y: i32, coverage: u8, color: Rgba) {
        let (w, h) = (self.pix.width() as i32, self.pix.height() as i32);
        if x < 0 || y < 0 || x >= w || y >= h || coverage == 0 {
            return;
        }
        // Coverage in 16 steps: indistinguishable on screen, and it keeps most plots within the
        // 256 colours of an indexed PNG (much cheaper to encode).
        let coverage = (coverage as u32 + 8) / 17 * 17;
        let a = coverage * color.3 as u32 / 255;
        let px = &mut self.pix.pixels_mut()[(y * w + x) as usize];
        let mix = |src: u8, dst: u8| ((src as u32 * a + dst as u32 * (255 - a) + 127) / 255) as u8;
        // The background is opaque, so premultiplied and straight values coincide.
        let out = [mix(color.0, px.red()), mix(color.1, px.green()), mix(color.2, px.blue())];
        if let Some(c) = PremultipliedColorU8::from_rgba(out[0], out[1], out[2], 255) {
            *px = c;
        }
    }

    /// Colour of pixel (x, y), for tests.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgba> {
        let p = self.pix.pixel(x, y)?.demultiply();
        Some(Rgba(p.red(), p.green(), p.blue(), p.alpha()))
    }

    /// Encodes as a PNG: indexed colour when the image has at most 256 colours (most plots: a
    /// third of the bytes to filter and deflate), else 8-bit RGB. Fast deflate with the Up filter:
    /// measured in wasm, PNG encoding is most of the render time, and Up is the cheapest filter
    /// that keeps fdeflate's fast path effective (zlib's default level is 3–15× slower).
    pub fn encode_png(&self) -> Result<Vec<u8>, String> {
        let (w, h) = (self.pix.width(), self.pix.height());
        let mut out = Vec::with_capacity((w as usize * h as usize) / 8 + 1024);
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::FilterType::Up);
        let data = match self.palette() {
            Some((palette, indices)) => {
                enc.set_color(png::ColorType::Indexed);
                enc.set_palette(palette);
                indices
            }
            None => {
                enc.set_color(png::ColorType::Rgb);
                // Every pixel is opaque, so the premultiplied bytes are the colour: drop alpha.
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                for (out, p) in rgb.chunks_exact_mut(3).zip(self.pix.data().chunks_exact(4)) {
                    out.copy_from_slice(&p[..3]);
                }
                rgb
            }
        };
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&data).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// (RGB palette, one index per pixel) if the image has at most 256 colours.
    fn palette(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        const SLOTS: usize = 1024; // open addressing; at most 256 of them are used
        let mut keys = [u32::MAX; SLOTS];
        let mut vals = [0u8; SLOTS];
        let mut palette = Vec::with_capacity(256 * 3);
        let data = self.pix.data();
        let mut indices = Vec::with_capacity(data.len() / 4);
        let (mut last_key, mut last_index) = (u32::MAX, 0u8);
        for p in data.chunks_exact(4) {
            let key = u32::from_le_bytes([p[0], p[1], p[2], 0]);
            if key != last_key {
                // Runs of one colour are the common case; only colour changes are looked up.
                let mut slot = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
                loop {
                    if keys[slot] == key {
                        break;
                    }
                    if keys[slot] == u32::MAX {
                        if palette.len() == 256 * 3 {
                            return None;
                        }
                        keys[slot] = key;
                        vals[slot] = (palette.len() / 3) as u8;
                        palette.extend_from_slice(&p[..3]);
                        break;
                    }
                    slot = (slot + 1) % SLOTS;
                }
                (last_key, last_index) = (key, vals[slot]);
            }
            indices.push(last_index);
        }
        Some((palette, indices))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_parsing() {
        assert_eq!(Rgba::parse("#ff8000"), Some(Rgba(255, 128, 0, 255)));
        assert_eq!(Rgba::parse("#00ff0040"), Some(Rgba(0, 255, 0, 64)));
        assert_eq!(Rgba::parse("red"), None);
        assert_eq!(Rgba::parse("#ff80"), None);
        assert_eq!(Rgba::parse("#éé0000"), None);
    }

    #[test]
    fn rects_snap_and_png_has_the_size() {
        let mut c = Canvas::new(10, 5).unwrap();
        c.fill_rect(2.4, 1.0, 4.6, 3.0, BLACK);
        assert_eq!(c.pixel(2, 1), Some(BLACK));
        assert_eq!(c.pixel(4, 2), Some(BLACK));
        assert_eq!(c.pixel(5, 2), Some(WHITE));
        let png = c.encode_png().unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 10);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 5);
    }

    fn decode(png_bytes: &[u8]) -> (png::ColorType, Vec<u8>) {
        let mut d = png::Decoder::new(png_bytes);
        d.set_transformations(png::Transformations::EXPAND);
        let mut r = d.read_info().unwrap();
        let color = r.info().color_type;
        let mut buf = vec![0; r.output_buffer_size()];
        let n = r.next_frame(&mut buf).unwrap().buffer_size();
        buf.truncate(n);
        (color, buf)
    }

    #[test]
    fn few_colours_go_indexed_many_go_rgb_and_both_keep_the_pixels() {
        let mut few = Canvas::new(40, 3).unwrap();
        few.fill_rect(0.0, 0.0, 10.0, 3.0, Rgba(10, 20, 30, 255));
        let (color, px) = decode(&few.encode_png().unwrap());
        assert_eq!(color, png::ColorType::Indexed);
        assert_eq!(&px[..3], &[10, 20, 30]);
        assert_eq!(&px[30..33], &[255, 255, 255]);
        let mut many = Canvas::new(300, 1).unwrap();
        for x in 0..300 {
            many.fill_rect(x as f32, 0.0, x as f32 + 1.0, 1.0, Rgba((x % 256) as u8, (x / 256) as u8, 7, 255));
        }
        let (color, px) = decode(&many.encode_png().unwrap());
        assert_eq!(color, png::ColorType::Rgb);
        assert_eq!(&px[3 * 299..3 * 300], &[43, 1, 7]);
    }
}
