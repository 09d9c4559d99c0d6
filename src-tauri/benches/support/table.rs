//! The bench's one output: a table of every bar, its figure and the
//! figure's ratio to the bar (≤ 1.00 meets it).

pub fn percentile(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Row {
    what: String,
    figure: String,
    bar: String,
    ratio: Option<f64>,
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// A latency in ms against a p95 bar (`None`: shown for context).
    pub fn latency(&mut self, what: &str, v: &[f64], p95_bar_ms: Option<f64>) {
        let p95 = percentile(v, 0.95);
        let max = v.iter().copied().fold(f64::NAN, f64::max);
        self.rows.push(Row {
            what: what.to_owned(),
            figure: format!(
                "p50 {:.1} / p95 {:.1} / max {:.1} ms, n={}",
                percentile(v, 0.5),
                p95,
                max,
                v.len()
            ),
            bar: p95_bar_ms.map_or("-".into(), |b| format!("p95 ≤ {b} ms")),
            ratio: p95_bar_ms.map(|b| p95 / b),
        });
    }

    /// One figure against an upper bar in `unit`.
    pub fn value(&mut self, what: &str, figure: f64, unit: &str, bar: Option<f64>) {
        self.rows.push(Row {
            what: what.to_owned(),
            figure: format!("{figure:.1} {unit}"),
            bar: bar.map_or("-".into(), |b| format!("≤ {b} {unit}")),
            ratio: bar.map(|b| figure / b),
        });
    }

    pub fn print(&self, title: &str) {
        let w = |f: fn(&Row) -> usize| self.rows.iter().map(f).max().unwrap_or(0);
        let (a, b, c) = (
            w(|r| r.what.chars().count()),
            w(|r| r.figure.chars().count()),
            w(|r| r.bar.chars().count()),
        );
        println!("\n{title}\n");
        println!(
            "| {:<a$} | {:<b$} | {:<c$} | ratio |",
            "bar", "figure", "target"
        );
        println!(
            "|{}|{}|{}|-------|",
            "-".repeat(a + 2),
            "-".repeat(b + 2),
            "-".repeat(c + 2)
        );
        for r in &self.rows {
            let ratio = match r.ratio {
                Some(x) if x <= 1.0 => format!("{x:.2} ok"),
                Some(x) => format!("{x:.2} OVER"),
                None => "-".into(),
            };
            println!(
                "| {:<a$} | {:<b$} | {:<c$} | {ratio} |",
                r.what, r.figure, r.bar
            );
        }
    }
}
