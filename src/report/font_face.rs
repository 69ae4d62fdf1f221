//! Choosing one face of a font collection (`.ttc`) for the charts.
//!
//! The chart renderer takes the first face of a collection. In Noto Sans
//! CJK that is the Japanese one, whose full-width brackets and punctuation
//! sit in the middle of their em box, so Chinese titles show a gap after
//! "（". [`face_for`] finds the face made for the report's script (its
//! family name ends in " SC" for Simplified Chinese) and copies its tables
//! into a stand-alone font (the OpenType table directory rebuilt with new
//! offsets; the tables themselves are copied unchanged).

use crate::error::{Error, Result};

/// A face of a font file: its bytes as a stand-alone font and its family name.
#[derive(Debug, Clone)]
pub struct Face {
    /// The font data of the face alone.
    pub bytes: Vec<u8>,
    /// Its family name (e.g. "Noto Sans CJK SC"), or "" if the font has none.
    pub family: String,
    /// Its index in the collection (0 for a single font).
    pub index: u32,
}

fn family_name(face: &ttf_parser::Face<'_>) -> String {
    let names = face.names();
    let wanted = [
        ttf_parser::name_id::TYPOGRAPHIC_FAMILY,
        ttf_parser::name_id::FAMILY,
    ];
    for id in wanted {
        // English names first (Windows platform, en-US), then any readable one.
        let mut found: Option<String> = None;
        for name in names {
            if name.name_id != id {
                continue;
            }
            if let Some(text) = name.to_string() {
                if name.language_id == 0x0409 {
                    return text;
                }
                found.get_or_insert(text);
            }
        }
        if let Some(text) = found {
            return text;
        }
    }
    String::new()
}

fn be_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Face `index` of the collection `data` as a stand-alone OpenType font.
fn extract(data: &[u8], index: u32) -> Option<Vec<u8>> {
    let start = be_u32(data, 12 + 4 * index as usize)? as usize;
    let sfnt_version = be_u32(data, start)?;
    let tables = be_u16(data, start + 4)? as usize;
    let header = 12 + 16 * tables;
    let mut out = Vec::with_capacity(header);
    out.extend_from_slice(&sfnt_version.to_be_bytes());
    out.extend_from_slice(data.get(start + 4..start + 12)?);
    let mut bodies: Vec<&[u8]> = Vec::with_capacity(tables);
    let mut offset = header;
    for t in 0..tables {
        let record = start + 12 + 16 * t;
        let (tag, checksum) = (be_u32(data, record)?, be_u32(data, record + 4)?);
        let (from, len) = (
            be_u32(data, record + 8)? as usize,
            be_u32(data, record + 12)? as usize,
        );
        bodies.push(data.get(from..from.checked_add(len)?)?);
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&checksum.to_be_bytes());
        out.extend_from_slice(&(u32::try_from(offset).ok()?).to_be_bytes());
        out.extend_from_slice(&(u32::try_from(len).ok()?).to_be_bytes());
        offset += len.next_multiple_of(4);
    }
    for body in bodies {
        out.extend_from_slice(body);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    Some(out)
}

/// The face of `data` (a font or a collection) whose family name ends with
/// `suffix` (e.g. " SC"); without one, or with `suffix = None`, the first
/// face. `file` names the font in errors.
pub fn face_for(data: &[u8], suffix: Option<&str>, file: &str) -> Result<Face> {
    let bad = || {
        Error::invalid(
            format!("font {file}"),
            "unreadable font data",
            "a TrueType or OpenType font or collection (.ttf, .otf, .ttc)",
        )
    };
    let count = ttf_parser::fonts_in_collection(data);
    let Some(count) = count else {
        let face = ttf_parser::Face::parse(data, 0).map_err(|_| bad())?;
        return Ok(Face {
            bytes: data.to_vec(),
            family: family_name(&face),
            index: 0,
        });
    };
    let mut chosen: Option<(u32, String)> = None;
    for i in 0..count {
        let Ok(face) = ttf_parser::Face::parse(data, i) else {
            continue;
        };
        let family = family_name(&face);
        let wanted = suffix.is_some_and(|s| family.ends_with(s));
        if chosen.is_none() || wanted {
            chosen = Some((i, family));
        }
        if wanted {
            break;
        }
    }
    let (index, family) = chosen.ok_or_else(bad)?;
    let bytes = extract(data, index).ok_or_else(bad)?;
    ttf_parser::Face::parse(&bytes, 0).map_err(|_| bad())?;
    Ok(Face {
        bytes,
        family,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Noto Sans CJK collection, where installed (`fonts-noto-cjk`).
    const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

    #[test]
    fn the_simplified_chinese_face_is_taken_from_the_collection() {
        let data = std::fs::read(NOTO_CJK).unwrap_or_else(|e| {
            panic!(
                "{NOTO_CJK}: {e}; install it with `apt-get install fonts-noto-cjk` \
                 (`bash scripts/test` does)"
            )
        });
        let first = face_for(&data, None, NOTO_CJK).unwrap();
        let sc = face_for(&data, Some(" SC"), NOTO_CJK).unwrap();
        assert_eq!(sc.family, "Noto Sans CJK SC");
        assert_ne!(first.family, sc.family);
        // The stand-alone face parses and has the glyphs of the report.
        let face = ttf_parser::Face::parse(&sc.bytes, 0).unwrap();
        for c in ['老', '（', 'A', '7'] {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
        assert!(face_for(b"not a font", None, "x").is_err());
    }
}
