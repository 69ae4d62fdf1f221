//! Terminal words in English or Chinese (`--lang zh`), and padding that
//! counts a Chinese character as two columns, as terminals draw it.

/// Columns `text` takes in a terminal: two for a wide (CJK) character.
pub fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `text` padded with spaces to `width` columns, on the right (`left`
/// aligned) or on the left.
pub fn pad(text: &str, width: usize, left: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(columns(text)));
    if left {
        format!("{text}{fill}")
    } else {
        format!("{fill}{text}")
    }
}

/// A demand view: "规划标准" for the primary demand, "按需" for need.
pub fn method_zh(primary: bool, method: &str) -> String {
    match (primary, method) {
        (true, _) => "按规划标准".into(),
        (false, "need") => "按实际需要".into(),
        (false, m) => format!("按{m}"),
    }
}

/// A demand method's short name in the gap table.
pub fn method_short_zh(method: &str) -> String {
    match method {
        "standard" => "规划标准".into(),
        "need" => "按需测算".into(),
        m => m.to_string(),
    }
}

/// A rate's unit and base in Chinese: "per 10,000" "elderly" as "每万名老年人".
pub fn rate_zh(unit: &str, base: &str) -> String {
    let per = match unit {
        "per 1,000" => "每千名",
        "per 10,000" => "每万名",
        _ => "每名",
    };
    format!("{per}{}", crate::plan::base_label_zh(base))
}

/// The "wrote a, b" line.
pub fn wrote(paths: &str, zh: bool) -> String {
    match (zh, paths.strip_prefix("wrote ")) {
        (true, Some(rest)) => format!("已写入 {rest}"),
        _ => paths.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_take_two_columns() {
        assert_eq!(columns("beds"), 4);
        assert_eq!(columns("养老床位"), 8);
        assert_eq!(columns("（90%）"), 7);
        assert_eq!(pad("养老", 6, true), "养老  ");
        assert_eq!(pad("ab", 4, false), "  ab");
    }
}
