//! The accuracy report's plots, drawn with `plotters` into inline SVG.
//!
//! Each function returns one `<svg>` element. A plot that cannot be drawn
//! (plotters reports an error) becomes a visible note in the page rather
//! than a panic or a silently missing figure.

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::series::Histogram as Bars;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::Histogram;

const FLOAT: RGBColor = RGBColor(0x4a, 0x7a, 0xb5);
const QUANT: RGBColor = RGBColor(0xc0, 0x50, 0x4d);
const COUNT: RGBColor = RGBColor(0x9b, 0xbb, 0x59);
const FONT: &str = "sans-serif";

type PlotResult = Result<(), String>;

/// Draws into an SVG string of `size` pixels; errors become a note.
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> PlotResult,
) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    match result {
        Ok(()) => out + "\n",
        Err(e) => format!(
            "<p class=\"bad\">plot not drawn: {}</p>\n",
            super::report::esc(&e)
        ),
    }
}

/// Float and quantized perplexity side by side, values written above the bars.
pub fn perplexity(float: f64, quant: f64) -> String {
    svg((420, 300), |root| {
        let top = float.max(quant);
        let top = if top.is_finite() && top > 0.0 {
            top * 1.15
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(root)
            .caption("float vs quantized perplexity", (FONT, 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(55)
            .build_cartesian_2d((0u32..1).into_segmented(), 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .y_desc("perplexity")
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(0) => "float".into(),
                SegmentValue::CenterOf(1) => "quantized".into(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = [(0u32, float), (1, quant)];
        let shown = bars.into_iter().filter(|(_, v)| v.is_finite());
        chart
            .draw_series(
                Bars::vertical(&chart)
                    .margin(30)
                    .style_func(|x, _| {
                        let quantized =
                            matches!(x, SegmentValue::Exact(1) | SegmentValue::CenterOf(1));
                        if quantized { QUANT } else { FLOAT }.filled()
                    })
                    .data(shown.clone()),
            )
            .map_err(|e| e.to_string())?;
        let above =
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(shown.map(|(i, v)| {
                Text::new(
                    format!("{v:.4}"),
                    (SegmentValue::CenterOf(i), v),
                    above.clone(),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Max and mean |quantized − float| of each tensor in graph order, log
/// scale. Exact tensors (error 0) have no point; the x axis is the tensor's
/// number in the report's tensor table.
pub fn error_per_tensor(max_err: &[f64], mean_err: &[f64]) -> String {
    svg((1000, 340), |root| {
        let positive = max_err
            .iter()
            .chain(mean_err)
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0);
        let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (lo, hi) = if lo.is_finite() && hi > 0.0 {
            (
                10f64.powf(lo.log10().floor()),
                10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
            )
        } else {
            (1e-6, 1.0)
        };
        let n = max_err.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption("|quantized − float| per tensor", (FONT, 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n, (lo..hi).log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("tensor # (graph order)")
            .y_desc("abs error")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()
            .map_err(|e| e.to_string())?;
        for (label, color, values) in [
            ("max |err|", QUANT, max_err),
            ("mean |err|", FLOAT, mean_err),
        ] {
            let points = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite() && **v > 0.0)
                .map(|(i, &v)| Circle::new((i as f64 + 0.5, v), 2, color.filled()));
            chart
                .draw_series(points)
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// The histogram of log10 |logit error| (bins of `hist.width` from `hist.lo`).
pub fn logit_error_histogram(hist: &Histogram) -> String {
    svg((1000, 320), |root| {
        let bins = hist.counts.len().max(1);
        let lo = hist.lo;
        let hi = hist.lo + hist.width * bins as f64;
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let top = hist.counts.iter().copied().max().unwrap_or(0).max(1);
        let top = top + top / 10 + 1;
        let mut chart = ChartBuilder::on(root)
            .caption("log10 |quantized − float| over all logits", (FONT, 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0u64..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_desc("log10 |logit error|")
            .y_desc("logits")
            .x_label_formatter(&|x| format!("{x:.1}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = hist
            .counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| {
                let x0 = hist.lo + hist.width * i as f64;
                Rectangle::new([(x0, 0), (x0 + hist.width * 0.95, c)], COUNT.filled())
            });
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plot_is_one_svg_with_its_marks() {
        let p = perplexity(67.876, 67.886);
        assert_eq!(p.matches("<svg").count(), 1, "{p}");
        assert!(
            p.contains("67.8760") && p.contains("67.8860"),
            "values on the bars"
        );
        assert!(p.contains("float") && p.contains("quantized"));

        let e = error_per_tensor(&[0.5, 0.0, 1e-3], &[0.1, 0.0, 1e-4]);
        assert_eq!(e.matches("<svg").count(), 1);
        // Two series of two nonzero points each, plus two legend marks.
        assert_eq!(e.matches("<circle").count(), 6, "{e}");

        let h = Histogram {
            lo: -6.0,
            width: 0.5,
            counts: vec![0, 3, 10, 1],
            zeros: 2,
            under: 0,
            over: 0,
        };
        let s = logit_error_histogram(&h);
        assert_eq!(s.matches("<svg").count(), 1);
        assert!(s.contains("log10 |logit error|"));
    }

    #[test]
    fn degenerate_data_still_draws() {
        for p in [
            perplexity(f64::NAN, f64::INFINITY),
            error_per_tensor(&[], &[]),
            error_per_tensor(&[0.0], &[0.0]),
            logit_error_histogram(&Histogram {
                lo: f64::NAN,
                width: 0.0,
                counts: vec![],
                zeros: 0,
                under: 0,
                over: 0,
            }),
        ] {
            assert!(p.contains("<svg") && !p.contains("plot not drawn"), "{p}");
        }
    }
}
