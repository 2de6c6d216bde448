//! `curve.png`: the learning curve of `DIR/curve.csv` drawn with plotters' bitmap
//! backend (no Python). plotters is built without its font features (they load system
//! fonts through font-kit, which a bare machine or CI may lack), so the picture has no
//! text: mean return of the last 100 episodes (blue) against environment steps, on a
//! grey grid of tenths of each axis; the axes' ranges are printed by `cube-cli`.

use plotters::prelude::*;
use std::path::Path;

/// One row of `curve.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub steps: f64,
    pub episodes: f64,
    pub mean_return_100: f64,
    pub wall_s: f64,
}

/// Reads `curve.csv` (header `steps,episodes,mean_return_100,wall_s`).
pub fn read_curve(path: &Path) -> Result<Vec<Point>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    match lines.next() {
        Some("steps,episodes,mean_return_100,wall_s") => {}
        _ => return Err(format!("{}: not a tsunami learning curve", path.display())),
    }
    let mut points = Vec::new();
    for (n, line) in lines.enumerate() {
        let fields: Vec<f64> = line
            .split(',')
            .map(|f| f.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("{}: line {} is not four numbers", path.display(), n + 2))?;
        let [steps, episodes, mean_return_100, wall_s] = fields[..] else {
            return Err(format!(
                "{}: line {} is not four numbers",
                path.display(),
                n + 2
            ));
        };
        points.push(Point {
            steps,
            episodes,
            mean_return_100,
            wall_s,
        });
    }
    Ok(points)
}

/// The ranges a plot of `points` shows: steps from 0, returns from the lowest (or 0)
/// to the highest, never empty.
pub fn ranges(points: &[Point]) -> ((f64, f64), (f64, f64)) {
    let finite = points
        .iter()
        .filter(|p| p.steps.is_finite() && p.mean_return_100.is_finite());
    let (mut x1, mut y0, mut y1) = (1.0f64, 0.0f64, 1.0f64);
    for p in finite {
        x1 = x1.max(p.steps);
        y0 = y0.min(p.mean_return_100);
        y1 = y1.max(p.mean_return_100);
    }
    if y1 - y0 < 1e-9 {
        y1 = y0 + 1.0;
    }
    ((0.0, x1), (y0, y1))
}

/// Draws `points` into a 800x500 PNG at `png`.
pub fn draw_curve(points: &[Point], png: &Path) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", png.display());
    let ((x0, x1), (y0, y1)) = ranges(points);
    let root = BitMapBackend::new(png, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .margin(20)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    let grey = RGBColor(220, 220, 220);
    for i in 0..=10 {
        let x = x0 + (x1 - x0) * f64::from(i) / 10.0;
        let y = y0 + (y1 - y0) * f64::from(i) / 10.0;
        let style = if i == 0 { BLACK } else { grey };
        chart
            .draw_series(LineSeries::new([(x, y0), (x, y1)], style))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new([(x0, y), (x1, y)], style))
            .map_err(|e| err(&e))?;
    }
    let line = points
        .iter()
        .filter(|p| p.steps.is_finite() && p.mean_return_100.is_finite())
        .map(|p| (p.steps, p.mean_return_100));
    chart
        .draw_series(LineSeries::new(line, BLUE.stroke_width(2)))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
