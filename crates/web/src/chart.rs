//! Small charts as inline SVG, drawn on the server: pages stay light and work without
//! JavaScript; each chart has a title for screen readers, and its figures are in a table beside it.

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG, with a title and a description for screen readers
/// (the numbers are also in the table beside it).
pub fn bar_chart(id: &str, title: &str, bars: &[(String, i64)]) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let row = 26.0;
    let h = (bars.len() as f64 * row + 10.0).max(40.0);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t\" viewBox=\"0 0 600 {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"{id}-t\">{}</title>",
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let w = (*v as f64 / max) * 330.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\" fill=\"#1d2733\">{}</text><rect x=\"210\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"#0b57a4\"></rect><text x=\"{:.1}\" y=\"{}\" font-size=\"13\" fill=\"#1d2733\">{v}</text>",
            y + 14.0,
            esc(&label.chars().take(28).collect::<String>()),
            215.0 + w,
            y + 14.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A column chart over time (one column per hour, say) as inline SVG, every `label_every`-th
/// column labelled below.
pub fn column_chart(id: &str, title: &str, columns: &[(String, i64)], label_every: usize) -> String {
    let max = columns.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let (w, h, base) = (600.0, 180.0, 150.0);
    let step = w / columns.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"{id}-t\">{}</title>\
         <line x1=\"0\" y1=\"{base}\" x2=\"{w}\" y2=\"{base}\" stroke=\"#5b6b7c\"/><text x=\"2\" y=\"12\" font-size=\"12\" fill=\"#1d2733\">{}</text>",
        esc(title),
        max as i64
    );
    for (i, (label, v)) in columns.iter().enumerate() {
        let ch = (*v as f64 / max) * (base - 20.0);
        let x = i as f64 * step;
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{ch:.1}\" fill=\"#0b57a4\"><title>{}: {v}</title></rect>",
            x + 1.0,
            base - ch,
            (step - 2.0).max(1.0),
            esc(label)
        ));
        if label_every > 0 && i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#1d2733\">{}</text>",
                x + 1.0,
                base + 16.0,
                esc(label)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}
