//! `easyqr-hq-load`: the head office's load benchmark (being built).

fn main() {
    eprintln!("easyqr-hq-load: not built yet");
    std::process::exit(2);
}
