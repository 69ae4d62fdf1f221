//! The PNG backend: plotters' bitmap backend with text drawn at each
//! glyph's own horizontal bearing.
//!
//! plotters (0.3.7, `ab_glyph` fonts) places every glyph's outline at the
//! pen position, ignoring its left side bearing. For Latin letters that is
//! a pixel or so; for CJK punctuation that sits at one side of its em box
//! (the opening "（", "《", "“" of Simplified Chinese sit at the right,
//! against the text they open) it leaves a visible gap on the wrong side.
//! [`PngBackend`] delegates every primitive to `BitMapBackend` and draws
//! text itself: same layout box, anchors, kerning and vertical placement as
//! plotters, plus the bearing. The SVG charts are unaffected (browsers lay
//! out their text).

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A bitmap backend drawing text with `font`.
pub struct PngBackend<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> PngBackend<'a> {
    /// Wraps `inner`; text is drawn with `font` (the charts' one font).
    pub fn new(inner: BitMapBackend<'a>, font: FontRef<'static>) -> Self {
        PngBackend { inner, font }
    }
}

type Failure = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

impl DrawingBackend for PngBackend<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Failure> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // Layout and anchoring exactly as plotters' default.
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let size = style.size() as f32;
        let font = self.font.as_scaled(size);
        let mut pen = 0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                pen += font.kern(p, id);
            }
            previous = Some(id);
            if let Some(outline) = font.outline_glyph(font.scaled_glyph(c)) {
                let bounds = outline.px_bounds();
                let x0 = (pen + bounds.min.x).round() as i32;
                let y0 = (size / 2.0 + bounds.min.y) as i32;
                let mut pixels = Vec::new();
                outline.draw(|x, y, coverage| pixels.push((x as i32, y as i32, coverage)));
                for (x, y, coverage) in pixels {
                    let (x, y) = transform.transform(x0 + x + dx - min_x, y0 + y + dy - min_y);
                    let (x, y) = (pos.0 + x, pos.1 + y);
                    if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                        self.inner
                            .draw_pixel((x, y), color.mix(f64::from(coverage)))?;
                    }
                }
            }
            pen += font.h_advance(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

    /// Columns of a 200 x 80 RGB image with any dark pixel, after drawing
    /// `text` at x = 20 with the Simplified Chinese face.
    fn inked_columns(text: &str) -> Vec<usize> {
        let data = std::fs::read(NOTO_CJK).unwrap_or_else(|e| {
            panic!("{NOTO_CJK}: {e}; apt-get install fonts-noto-cjk (bash scripts/test does)")
        });
        let face = crate::report::font_face::face_for(&data, Some(" SC"), NOTO_CJK).unwrap();
        let bytes: &'static [u8] = Box::leak(face.bytes.into_boxed_slice());
        let font = FontRef::try_from_slice(bytes).unwrap();
        plotters::style::register_font("png-backend-test", FontStyle::Normal, bytes)
            .map_err(|_| "font")
            .unwrap();
        let (w, h) = (200u32, 80u32);
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let bitmap = BitMapBackend::with_buffer(&mut pixels, (w, h));
            let root = PngBackend::new(bitmap, font).into_drawing_area();
            let style = TextStyle::from(("png-backend-test", 40).into_font()).color(&BLACK);
            root.draw(&Text::new(text.to_string(), (20, 20), style))
                .unwrap();
            root.present().unwrap();
        }
        (0..w as usize)
            .filter(|&x| (0..h as usize).any(|y| pixels[3 * (y * w as usize + x)] < 128))
            .collect()
    }

    #[test]
    fn an_opening_bracket_is_drawn_against_the_text_it_opens() {
        // "（" of Simplified Chinese sits in the right half of its 40-pixel
        // em: its ink starts well after the pen (x = 20), not at it.
        let ink = inked_columns("（");
        let first = *ink.first().expect("no ink");
        assert!(first >= 20 + 15, "ink from x = {first}");
        // A closing bracket sits in the left half.
        let ink = inked_columns("）");
        let last = *ink.last().expect("no ink");
        assert!(last <= 20 + 25, "ink to x = {last}");
    }
}
