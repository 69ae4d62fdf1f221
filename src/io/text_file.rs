//! Text files as bureaus save them: UTF-8 (with or without the byte-order
//! mark Excel writes), or GB18030 / GBK, the encoding of "CSV" and of plain
//! text saved on a Chinese Windows. The encoding is detected: a file that is
//! valid UTF-8 is UTF-8, else it must be valid GB18030 (of which GBK and
//! GB2312 are subsets); a file that is neither is an error naming the line
//! of the first byte that is not UTF-8, and what to do.

use std::path::Path;

use crate::error::{Error, Result};

/// The encoding a text file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (a leading byte-order mark is dropped).
    Utf8,
    /// GB18030, which includes GBK and GB2312.
    Gb18030,
}

/// Decodes `bytes` of the file `file` (named in errors).
pub fn decode_text(file: &str, bytes: &[u8]) -> Result<(String, TextEncoding)> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok((text.to_string(), TextEncoding::Utf8)),
        Err(utf8_error) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(body);
            if !had_errors {
                return Ok((text.into_owned(), TextEncoding::Gb18030));
            }
            let at = utf8_error.valid_up_to();
            let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(Error::invalid(
                format!("{file}: line {line}"),
                format!(
                    "byte 0x{:02X}, which is neither UTF-8 nor GB18030 (GBK) text",
                    body[at]
                ),
                "a text file in UTF-8 or GBK: in Excel save it as \"CSV UTF-8\" \
                 (另存为 → CSV UTF-8), in an editor save it as UTF-8",
            ))
        }
    }
}

/// Reads and decodes a text file; `what` says what the file should be.
pub fn read_text(path: &Path, what: &str) -> Result<(String, TextEncoding)> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::io(&file, format!("cannot read the {what}: {e}")))?;
    decode_text(&file, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_gbk_give_the_same_text() {
        let text = "年份,性别\n2021,男\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.as_bytes());
        assert_eq!(
            decode_text("f", text.as_bytes()).unwrap(),
            (text.into(), TextEncoding::Utf8)
        );
        assert_eq!(
            decode_text("f", &bom).unwrap(),
            (text.into(), TextEncoding::Utf8)
        );
        assert_eq!(
            decode_text("f", &gbk).unwrap(),
            (text.into(), TextEncoding::Gb18030)
        );
    }

    #[test]
    fn undecodable_bytes_name_the_line() {
        let bytes = b"year,sex\n2021,m\n\xFF\xFF\n";
        let e = decode_text("base.csv", bytes).unwrap_err().to_string();
        assert!(e.contains("base.csv: line 3"), "{e}");
        assert!(e.contains("0xFF"), "{e}");
        assert!(e.contains("CSV UTF-8"), "{e}");
    }
}
