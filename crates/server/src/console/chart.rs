//! The overview's chart: choices per day as stacked bars (accept all, custom, reject all,
//! withdrawn), as an inline SVG with presentation attributes only (the Content-Security-Policy
//! allows no inline style). The same numbers are in the table under it; the SVG is an image
//! labelled by its title and pointing at that table.

use super::layout::escape;

/// One day's bars.
pub struct DayBars {
    pub label: String,
    pub accept: i64,
    pub custom: i64,
    pub reject: i64,
    pub withdraw: i64,
}

/// The colours, in stacking order from the bottom, with the legend's CSS class.
pub const SERIES: [(&str, &str); 4] = [
    ("#1d6b2c", "swatch-accept"),
    ("#0b4fa8", "swatch-custom"),
    ("#a4001d", "swatch-reject"),
    ("#6b4c00", "swatch-withdraw"),
];

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// The SVG for `days`; `title` names it and `table_id` is the table with its numbers.
pub fn bars(days: &[DayBars], title: &str, table_id: &str) -> String {
    let max = days
        .iter()
        .map(|d| d.accept + d.custom + d.reject + d.withdraw)
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = plot_w / days.len().max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" aria-describedby=\"{table_id}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"chart-title\">{}</title>",
        escape(title)
    );
    // The axis: zero and the day maximum.
    let axis_y = TOP + plot_h;
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#1b1b1b\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1b1b1b\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1b1b1b\">{max}</text>",
        WIDTH - 8.0,
        LEFT - 6.0,
        axis_y + 4.0,
        LEFT - 6.0,
        TOP + 10.0,
    ));
    for (i, day) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = axis_y;
        for (value, (colour, _)) in [day.accept, day.custom, day.reject, day.withdraw]
            .into_iter()
            .zip(SERIES)
        {
            if value <= 0 {
                continue;
            }
            let h = plot_h * value as f64 / max as f64;
            y -= h;
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{colour}\"/>"
            ));
        }
    }
    // The first and last day under the axis.
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        out.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{}\" font-size=\"12\" fill=\"#1b1b1b\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1b1b1b\">{}</text>",
            HEIGHT - 6.0,
            escape(&first.label),
            WIDTH - 8.0,
            HEIGHT - 6.0,
            escape(&last.label),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day_and_escape_their_labels() {
        let days = [
            DayBars {
                label: "2026-01-30".into(),
                accept: 10,
                custom: 5,
                reject: 5,
                withdraw: 0,
            },
            DayBars {
                label: "<b>".into(),
                accept: 0,
                custom: 0,
                reject: 0,
                withdraw: 0,
            },
        ];
        let svg = bars(&days, "Choices & more", "t");
        assert!(svg.contains("<title id=\"chart-title\">Choices &amp; more</title>"));
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("style="));
        // The busiest day's stack fills the plot: 10 + 5 + 5 of 20.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">20</text>"));
    }
}
