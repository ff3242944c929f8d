//! A thin drawing surface over a tiny-skia pixmap, with PNG (RGB) encoding.

use tiny_skia::{Paint, PathBuilder, Pixmap, PremultipliedColorU8, Rect, Stroke, StrokeDash, Transform};

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
    pub fn fill_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgba) {
        let (l, r) = (x0.min(x1).round(), x0.max(x1).round());
        let (t, b) = (y0.min(y1).round(), y0.max(y1).round());
        if let Some(rect) = Rect::from_ltrb(l, t, r, b) {
            self.pix.fill_rect(rect, &color.paint(false), Transform::identity(), None);
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
        let a = coverage as u32 * color.3 as u32 / 255;
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

    /// Encodes as an 8-bit RGB PNG: fast deflate with the Paeth filter (measured: same speed as Sub,
    /// 15–60 % smaller files; zlib's default level is 3–15× slower).
    pub fn encode_png(&self) -> Result<Vec<u8>, String> {
        let (w, h) = (self.pix.width(), self.pix.height());
        // Every pixel is opaque, so the premultiplied bytes are the colour: drop alpha.
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        for (out, p) in rgb.chunks_exact_mut(3).zip(self.pix.data().chunks_exact(4)) {
            out.copy_from_slice(&p[..3]);
        }
        let mut out = Vec::with_capacity(rgb.len() / 8 + 1024);
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::FilterType::Paeth);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(out)
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
}
