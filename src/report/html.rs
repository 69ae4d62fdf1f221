//! The report's `index.html`: one self-contained page (styles inline,
//! charts as inline SVG, nothing fetched from a network) linking the PNG,
//! SVG and CSV files written beside it.

use super::text::Words;
use super::Report;

/// Escapes text for HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An SVG document made fit for inlining: no XML prologue, scaling with
/// the page (the drawing keeps its viewBox).
fn inline_svg(svg: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    body.replacen("<svg ", "<svg class=\"chart\" role=\"img\" ", 1)
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#141414;line-height:1.5}
h1{font-size:1.7rem;margin-bottom:.3rem}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{border-bottom:1px solid #e3e3e3;padding:.35rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}td.unit,th.unit{text-align:left;color:#555}thead th{background:#f2f5f8}
tr.service td{border-top:2px solid #cfd8e0}
figure{margin:2rem 0}svg.chart{width:100%;height:auto;border:1px solid #eee}
svg.chart text{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif}
figcaption{font-size:.9rem;color:#444}ul.flags{font-size:.9rem;color:#444}";

/// The page, given each figure's SVG (in `report.figures` order).
pub fn page(report: &Report, svgs: &[String]) -> String {
    let t = Words::new(report.lang);
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        if report.lang == super::Lang::Zh { "zh-CN" } else { "en" },
        escape(&report.title)
    ));
    h.push_str(&format!("<h1>{}</h1>\n", escape(&report.title)));
    for p in &report.intro {
        h.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    if !report.sources.is_empty() {
        h.push_str(&format!(
            "<h2 id=\"sources\">{}</h2>\n<table class=\"sources\">\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            escape(&t.sources_heading()),
            escape(&t.source_heading()),
            escape(&t.setting_heading())
        ));
        for (source, setting) in &report.sources {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>\n",
                escape(source),
                escape(setting)
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str(&format!(
        "<h2 id=\"key-figures\">{}</h2>\n<table class=\"key-figures\">\n<thead><tr><th>{}</th><th class=\"unit\">{}</th>",
        escape(&t.key_figures_heading()),
        escape(&t.quantity_heading()),
        escape(&t.unit_heading())
    ));
    for y in &report.key_years {
        h.push_str(&format!("<th>{y}</th>"));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    key_rows(&mut h, &report.key_figures);
    h.push_str("</tbody>\n</table>\n<p><a href=\"key_figures.csv\">key_figures.csv</a></p>\n");
    if !report.region_key_figures.is_empty() {
        // The region table: each region's key figures under its name.
        h.push_str(&format!(
            "<h2 id=\"key-figures-by-region\">{}</h2>\n<table class=\"key-figures regions\">\n<thead><tr><th>{}</th><th class=\"unit\">{}</th>",
            escape(&t.region_key_figures_heading()),
            escape(&t.quantity_heading()),
            escape(&t.unit_heading())
        ));
        for y in &report.key_years {
            h.push_str(&format!("<th>{y}</th>"));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for (id, label, rows) in &report.region_key_figures {
            h.push_str(&format!(
                "<tr class=\"region\" data-region=\"{}\"><th colspan=\"{}\">{}</th></tr>\n",
                escape(id),
                2 + report.key_years.len(),
                escape(label)
            ));
            key_rows(&mut h, rows);
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str(&format!("<h2>{}</h2>\n", escape(&t.charts_heading())));
    for (figure, svg) in report.figures.iter().zip(svgs) {
        let name = escape(&figure.name);
        h.push_str(&format!(
            "<figure id=\"{name}\">\n{}\n<figcaption>{} — {}: <a href=\"{name}.png\">PNG</a> · <a href=\"{name}.svg\">SVG</a> · <a href=\"{name}.csv\">{} (CSV)</a></figcaption>\n</figure>\n",
            inline_svg(svg),
            escape(&figure.title),
            escape(&t.files_label()),
            escape(&t.table_label())
        ));
    }
    if !report.flags.is_empty() {
        h.push_str(&format!(
            "<h2>{}</h2>\n<ul class=\"flags\">\n",
            escape(&t.flags_heading())
        ));
        for f in &report.flags {
            h.push_str(&format!("<li>{}</li>\n", escape(f)));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The rows of a key-figures table (a line above each service's first).
fn key_rows(h: &mut String, rows: &[super::KeyFigure]) {
    let mut last_service = String::new();
    for row in rows {
        let service = row.id.split(':').next().unwrap_or_default().to_string();
        let class = if row.id.contains(':') && service != last_service {
            " class=\"service\""
        } else {
            ""
        };
        last_service = service;
        h.push_str(&format!(
            "<tr{class} data-id=\"{}\"><td>{}</td><td class=\"unit\">{}</td>",
            escape(&row.id),
            escape(&row.label),
            escape(&row.unit)
        ));
        for (_, _, shown) in &row.values {
            h.push_str(&format!("<td>{}</td>", escape(shown)));
        }
        h.push_str("</tr>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn inlines_svg_without_prologue() {
        let s = inline_svg("<?xml version=\"1.0\"?>\n<svg width=\"1\" viewBox=\"0 0 1 1\"></svg>");
        assert!(s.starts_with("<svg class=\"chart\""));
        assert!(s.contains("viewBox"));
    }
}
