//! TrueType subsetting that keeps glyph ids: glyphs not used (nor used by a composite glyph
//! that is) become empty, so the embedded font shrinks from hundreds of kilobytes to a few.

use std::collections::BTreeSet;

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(o)?, *d.get(o + 1)?]))
}

fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(o)?, *d.get(o + 1)?, *d.get(o + 2)?, *d.get(o + 3)?]))
}

fn tables(font: &[u8]) -> Option<Vec<([u8; 4], usize, usize)>> {
    let n = u16_at(font, 4)? as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let r = 12 + i * 16;
        let tag = [*font.get(r)?, *font.get(r + 1)?, *font.get(r + 2)?, *font.get(r + 3)?];
        let off = u32_at(font, r + 8)? as usize;
        let len = u32_at(font, r + 12)? as usize;
        font.get(off..off + len)?;
        out.push((tag, off, len));
    }
    Some(out)
}

fn checksum(data: &[u8]) -> u32 {
    let mut sum = 0u32;
    for chunk in data.chunks(4) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        sum = sum.wrapping_add(u32::from_be_bytes(b));
    }
    sum
}

/// A font file with only `glyphs` (and the components they use) drawn; None if the font is
/// not a TrueType font this understands.
pub fn subset(font: &[u8], glyphs: &[u16]) -> Option<Vec<u8>> {
    let t = tables(font)?;
    let find = |tag: &[u8; 4]| t.iter().find(|x| &x.0 == tag).map(|x| &font[x.1..x.1 + x.2]);
    let head = find(b"head")?;
    let maxp = find(b"maxp")?;
    let loca = find(b"loca")?;
    let glyf = find(b"glyf")?;
    let long = u16_at(head, 50)? == 1;
    let n = u16_at(maxp, 4)? as usize;
    let offset = |g: usize| -> Option<usize> {
        if long { u32_at(loca, g * 4).map(|v| v as usize) } else { u16_at(loca, g * 2).map(|v| v as usize * 2) }
    };
    let data = |g: usize| -> Option<&[u8]> {
        let (a, b) = (offset(g)?, offset(g + 1)?);
        glyf.get(a..b)
    };
    // Close over composite glyph components.
    let mut keep: BTreeSet<u16> = glyphs.iter().copied().filter(|g| (*g as usize) < n).collect();
    keep.insert(0);
    let mut stack: Vec<u16> = keep.iter().copied().collect();
    while let Some(g) = stack.pop() {
        let d = data(g as usize)?;
        if d.len() < 10 || (u16_at(d, 0)? as i16) >= 0 {
            continue;
        }
        let mut o = 10;
        loop {
            let flags = u16_at(d, o)?;
            let comp = u16_at(d, o + 2)?;
            if keep.insert(comp) {
                stack.push(comp);
            }
            o += 4 + if flags & 1 != 0 { 4 } else { 2 };
            o += if flags & 0x8 != 0 {
                2
            } else if flags & 0x40 != 0 {
                4
            } else if flags & 0x80 != 0 {
                8
            } else {
                0
            };
            if flags & 0x20 == 0 {
                break;
            }
        }
    }
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((n + 1) * 4);
    for g in 0..n {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if keep.contains(&(g as u16)) {
            new_glyf.extend_from_slice(data(g)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0, 0, 0, 0]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());
    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = vec![(*b"head", new_head), (*b"loca", new_loca), (*b"glyf", new_glyf)];
    for tag in [b"hhea", b"hmtx", b"maxp", b"cvt ", b"fpgm", b"prep"] {
        if let Some(d) = find(tag) {
            out_tables.push((*tag, d.to_vec()));
        }
    }
    out_tables.sort_by_key(|x| x.0);
    let num = out_tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= num {
        pow *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&num.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(num * 16 - pow * 16).to_be_bytes());
    let mut offset_now = 12 + 16 * out_tables.len();
    let mut body = Vec::new();
    for (tag, d) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(d).to_be_bytes());
        out.extend_from_slice(&(offset_now as u32).to_be_bytes());
        out.extend_from_slice(&(d.len() as u32).to_be_bytes());
        body.extend_from_slice(d);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        offset_now = 12 + 16 * out_tables.len() + body.len();
    }
    out.extend_from_slice(&body);
    // head.checkSumAdjustment makes the whole file sum to the magic number.
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    let head_off = out_tables.iter().position(|x| &x.0 == b"head").map(|i| u32_at(&out, 12 + i * 16 + 8))?? as usize;
    out[head_off + 8..head_off + 12].copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_subset_still_parses_and_keeps_glyph_ids() {
        let font = dejavu::sans::regular();
        let face = ttf_parser::Face::parse(font, 0).unwrap();
        let ids: Vec<u16> = "Việt Nam ỹ".chars().map(|c| face.glyph_index(c).unwrap().0).collect();
        let small = super::subset(font, &ids).unwrap();
        assert!(small.len() < font.len() / 5, "{} bytes", small.len());
        // A glyph not asked for is empty.
        let x = ttf_parser::GlyphId(face.glyph_index('Q').unwrap().0);
        assert!(face.glyph_bounding_box(x).is_some());
        let sub = ttf_parser::Face::parse(&small, 0).unwrap();
        assert!(sub.glyph_bounding_box(x).is_none());
        for g in &ids {
            let g0 = ttf_parser::GlyphId(*g);
            assert_eq!(sub.glyph_bounding_box(g0), face.glyph_bounding_box(g0), "glyph {g} kept");
            assert_eq!(sub.glyph_hor_advance(ttf_parser::GlyphId(*g)), face.glyph_hor_advance(ttf_parser::GlyphId(*g)));
        }
    }
}
