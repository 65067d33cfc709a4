//! A small PDF writer for official forms (biểu mẫu): A4 pages, text in DejaVu Sans (which has
//! every Vietnamese letter) embedded as a subset, bold by fill-and-stroke, wrapped paragraphs,
//! lines, boxes and QR codes. Text stays searchable and copyable: each glyph maps back to its
//! character (ToUnicode). Streams are compressed.

mod subset;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// A4 in points.
pub const WIDTH: f32 = 595.28;
pub const HEIGHT: f32 = 841.89;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// The font, and which glyphs the document used (with the character each stands for).
struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
    used: BTreeMap<u16, char>,
}

impl Font {
    fn new() -> Font {
        let data = dejavu::sans::regular();
        let face = ttf_parser::Face::parse(data, 0).expect("the bundled DejaVu Sans parses");
        Font { face, data, used: BTreeMap::new() }
    }

    fn units(&self) -> f32 {
        self.face.units_per_em() as f32
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map(|g| g.0).unwrap_or(0)
    }

    /// Advance of a glyph in thousandths of the font size.
    fn advance(&self, gid: u16) -> f32 {
        self.face.glyph_hor_advance(ttf_parser::GlyphId(gid)).unwrap_or(0) as f32 * 1000.0 / self.units()
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }
}

/// A document being written.
pub struct Document {
    font: Font,
    pages: Vec<String>,
    title: String,
}

impl Default for Document {
    fn default() -> Self {
        Document::new("")
    }
}

fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document { font: Font::new(), pages: Vec::new(), title: title.to_owned() }
    }

    /// Starts a new page; drawing goes to the last page.
    pub fn add_page(&mut self) {
        self.pages.push(String::new());
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn ops(&mut self) -> &mut String {
        if self.pages.is_empty() {
            self.add_page();
        }
        self.pages.last_mut().expect("a page")
    }

    /// Width of `s` at `size` points.
    pub fn text_width(&self, s: &str, size: f32) -> f32 {
        self.font.width(s, size)
    }

    /// Writes `s` with its baseline at `y` (points from the bottom), aligned at `x`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, align: Align, s: &str) {
        let w = self.text_width(s, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x - w / 2.0,
            Align::Right => x - w,
        };
        let mut hex = String::with_capacity(s.len() * 4);
        for c in s.chars() {
            let g = self.font.glyph(c);
            self.font.used.entry(g).or_insert(c);
            let _ = write!(hex, "{g:04X}");
        }
        let mode = if bold { format!("2 Tr {} w ", num(size * 0.03)) } else { "0 Tr ".into() };
        let line = format!("BT /F1 {} Tf {mode}{} {} Td <{hex}> Tj ET\n", num(size), num(x), num(y));
        self.ops().push_str(&line);
    }

    /// Splits `s` into lines no wider than `width` at `size`, at spaces (a word longer than the
    /// line is cut).
    pub fn wrap(&self, s: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in s.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if self.text_width(&candidate, size) <= width || line.is_empty() && self.text_width(word, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.text_width(&piece, size) > width {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let s = format!("{} w {} {} m {} {} l S\n", num(width), num(x1), num(y1), num(x2), num(y2));
        self.ops().push_str(&s);
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: bool) {
        let s = format!("0.6 w {} {} {} {} re {}\n", num(x), num(y), num(w), num(h), if fill { "f" } else { "S" });
        self.ops().push_str(&s);
    }

    /// A QR code of `data`, `size` points wide, with its lower left corner at (x, y).
    pub fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else { return };
        let n = code.width();
        let colors = code.to_colors();
        let m = size / (n as f32 + 8.0);
        let mut s = String::from("0 g\n");
        for row in 0..n {
            for col in 0..n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let _ = writeln!(
                        s,
                        "{} {} {} {} re f",
                        num(x + (col as f32 + 4.0) * m),
                        num(y + (n - row - 1 + 4) as f32 * m),
                        num(m + 0.01),
                        num(m + 0.01)
                    );
                }
            }
        }
        self.ops().push_str(&s);
    }

    /// The finished PDF file.
    pub fn finish(mut self) -> Vec<u8> {
        if self.pages.is_empty() {
            self.add_page();
        }
        self.font.used.entry(0).or_insert('\u{fffd}');
        let mut w = Writer::default();
        w.out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        let n_pages = self.pages.len();
        // Object numbers: 1 catalog, 2 pages, 3 font, 4 cid font, 5 descriptor, 6 font file,
        // 7 to-unicode, 8 info, then page/content pairs.
        let first_page = 9;
        w.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", first_page + 2 * i)).collect();
        w.object(2, &format!("<< /Type /Pages /Kids [{}] /Count {n_pages} >>", kids.join(" ")));
        let name = "TSAAAA+DejaVuSans";
        w.object(
            3,
            &format!("<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 7 0 R >>"),
        );
        let mut widths = String::new();
        for g in self.font.used.keys() {
            let _ = write!(widths, "{g} [{}] ", num(self.font.advance(*g)));
        }
        w.object(
            4,
            &format!("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /CIDToGIDMap /Identity /DW 600 /W [{widths}] >>"),
        );
        let f = &self.font;
        let scale = |v: i16| num(v as f32 * 1000.0 / f.units());
        let bb = f.face.global_bounding_box();
        w.object(
            5,
            &format!(
                "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /FontFile2 6 0 R >>",
                scale(bb.x_min),
                scale(bb.y_min),
                scale(bb.x_max),
                scale(bb.y_max),
                scale(f.face.ascender()),
                scale(f.face.descender()),
                scale(f.face.capital_height().unwrap_or(f.face.ascender()))
            ),
        );
        let glyphs: Vec<u16> = self.font.used.keys().copied().collect();
        let font_file = subset::subset(self.font.data, &glyphs).unwrap_or_else(|| self.font.data.to_vec());
        w.stream(6, &format!("/Length1 {}", font_file.len()), &font_file);
        w.stream(7, "", to_unicode(&self.font.used).as_bytes());
        w.object(8, &format!("<< /Producer (Tinh So) /Title <{}> >>", utf16_hex(&self.title)));
        for (i, ops) in self.pages.iter().enumerate() {
            let page = first_page + 2 * i;
            w.object(
                page,
                &format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                    num(WIDTH),
                    num(HEIGHT),
                    page + 1
                ),
            );
            w.stream(page + 1, "", ops.as_bytes());
        }
        w.finish(8)
    }
}

fn utf16_hex(s: &str) -> String {
    let mut out = String::from("FEFF");
    for u in s.encode_utf16() {
        let _ = write!(out, "{u:04X}");
    }
    out
}

fn to_unicode(used: &BTreeMap<u16, char>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (g, c) in chunk {
            let mut buf = [0u16; 2];
            let hex: String = c.encode_utf16(&mut buf).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(s, "<{g:04X}> <{hex}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    offsets: BTreeMap<usize, usize>,
}

impl Writer {
    fn object(&mut self, id: usize, body: &str) {
        self.offsets.insert(id, self.out.len());
        self.out.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    fn stream(&mut self, id: usize, extra: &str, data: &[u8]) {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(data);
        let packed = z.finish().unwrap_or_default();
        self.offsets.insert(id, self.out.len());
        self.out.extend_from_slice(format!("{id} 0 obj\n<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n", packed.len()).as_bytes());
        self.out.extend_from_slice(&packed);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn finish(mut self, info: usize) -> Vec<u8> {
        let size = self.offsets.keys().max().copied().unwrap_or(0) + 1;
        let xref = self.out.len();
        let mut t = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for id in 1..size {
            match self.offsets.get(&id) {
                Some(o) => {
                    let _ = writeln!(t, "{o:010} 00000 n ");
                }
                None => t.push_str("0000000000 65535 f \n"),
            }
        }
        let _ = write!(t, "trailer\n<< /Size {size} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        self.out.extend_from_slice(t.as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_pdf_with_vietnamese_text_and_a_small_font() {
        let mut d = Document::new("Giấy tiếp nhận hồ sơ");
        d.text(50.0, 800.0, 12.0, true, Align::Left, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        d.text(WIDTH / 2.0, 780.0, 11.0, false, Align::Center, "Độc lập - Tự do - Hạnh phúc");
        d.qr(400.0, 600.0, 100.0, "https://thaian.example/tracking?code=000.00.13.H99-261123-0001");
        d.add_page();
        d.line(50.0, 700.0, 500.0, 700.0, 0.5);
        let pdf = d.finish();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // The subset is far smaller than the 740 kB font.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 2"));
        assert!(text.contains("/ToUnicode 7 0 R"));
        // Every xref offset points at its object.
        let start: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let xref = &text[start..];
        for (i, line) in xref.lines().skip(3).take_while(|l| l.ends_with("n ")).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(text[off..].starts_with(&format!("{} 0 obj", i + 1)), "object {} at {off}", i + 1);
        }
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let d = Document::new("");
        let lines = d.wrap("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp và bản sao giấy tờ tùy thân của người yêu cầu", 11.0, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| d.text_width(l, 11.0) <= 200.0));
        assert_eq!(lines.join(" "), "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp và bản sao giấy tờ tùy thân của người yêu cầu");
    }
}
