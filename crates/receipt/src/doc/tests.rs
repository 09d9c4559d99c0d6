use super::*;

const WIDTHS: [Width; 2] = [Width::Mm58, Width::Mm80];

fn fits(doc: &Doc) {
    for l in &doc.lines {
        assert!(
            l.columns() <= doc.width.cols(),
            "{} columns > {}: {l:?}",
            l.columns(),
            doc.width.cols()
        );
    }
}

#[test]
fn a_character_takes_the_bytes_it_is_printed_with() {
    assert_eq!(columns("ｺｰﾋｰ"), 4);
    assert_eq!(columns("コーヒー"), 8);
    assert_eq!(columns("¥"), 1);
    assert_eq!(columns("¥1,358"), 6);
    assert_eq!(columns("10%対象"), 7);
    assert_eq!(columns("2 × ¥480"), 9);
    // 〓 in place of what the printer lacks: two columns each.
    assert_eq!(columns("𠮷"), 2);
    assert_eq!(columns("①"), 2);
    assert_eq!(columns("😀"), 2);
    assert_eq!(columns(""), 0);
}

#[test]
fn widths_parse_from_the_setting_and_serialise_as_numbers() {
    assert_eq!(Width::parse("printer.width", "80").unwrap(), Width::Mm80);
    assert_eq!(Width::parse("printer.width", " 58 ").unwrap(), Width::Mm58);
    assert_eq!(Width::Mm80.cols(), 48);
    assert_eq!(Width::Mm58.cols(), 32);
    for bad in ["76", "80mm", "", "fifty-eight"] {
        let e = Width::parse("printer.width", bad).unwrap_err();
        assert_eq!(e.field, "printer.width");
        assert!(e.allowed.contains("80 (80 mm paper"), "{e}");
    }
    assert_eq!(serde_json::to_string(&Width::Mm58).unwrap(), "58");
    assert_eq!(serde_json::from_str::<Width>("80").unwrap(), Width::Mm80);
    assert!(serde_json::from_str::<Width>("76").is_err());
    assert!(serde_json::from_str::<Width>("\"80\"").is_err());
}

#[test]
fn wrapping_never_cuts_a_character() {
    // 10 columns: five full-width characters, or an odd cut moved whole.
    assert_eq!(
        wrap("あいうえおかきくけこさ", 10),
        ["あいうえお", "かきくけこ", "さ"]
    );
    assert_eq!(wrap("aあいうえお", 10), ["aあいうえ", "お"]);
    assert_eq!(wrap("ｺｰﾋｰｺｰﾋｰｺｰﾋｰ", 5), ["ｺｰﾋｰｺ", "ｰﾋｰｺｰ", "ﾋｰ"]);
    // Latin words move whole after a space; a single long word is cut.
    assert_eq!(
        wrap("Blue Mountain blend", 10),
        ["Blue", "Mountain", "blend"]
    );
    assert_eq!(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
    assert_eq!(wrap("", 10), [""]);
    // Japanese phrases break at a space in the second half of a line.
    assert_eq!(wrap("喫茶ひだまり 渋谷店", 16), ["喫茶ひだまり", "渋谷店"]);
    assert_eq!(wrap("あ いうえおかきくけ", 10), ["あ いうえ", "おかきくけ"]);
    for (text, cols) in [
        ("あいうえおかきくけこさ", 9),
        ("①②③④⑤⑥", 5),
        ("aあaあaあaあ", 4),
    ] {
        for piece in wrap(text, cols) {
            assert!(columns(&piece) <= cols, "{piece:?} at {cols}");
        }
    }
}

#[test]
fn double_size_lines_have_half_the_columns() {
    for width in WIDTHS {
        let mut doc = Doc::new(width);
        doc.title("喫茶ひだまり 渋谷道玄坂店 本館二階");
        assert!(doc.lines.len() >= 2);
        for l in &doc.lines {
            assert_eq!(l.size, Size::Double);
            assert!(columns(&l.text) <= width.cols() / 2, "{l:?}");
        }
        fits(&doc);
    }
}

#[test]
fn a_row_keeps_its_right_part_whole_at_both_widths() {
    let long = "特選ブルーマウンテンブレンド珈琲豆 深煎り 200g 袋入り";
    for width in WIDTHS {
        let cols = width.cols();
        let mut doc = Doc::new(width);
        doc.row("合計", "¥1,358");
        doc.row(long, "¥99,999,999");
        doc.row("10%対象 ¥99,999,999", "内消費税 ¥9,090,909");
        doc.row_styled(
            "合計",
            "¥99,999,999",
            Style::NORMAL.bold().size(Size::Double),
        );
        fits(&doc);
        let first = &doc.lines[0].text;
        assert_eq!(columns(first), cols);
        assert!(first.starts_with("合計 ") && first.ends_with(" ¥1,358"));
        // Every right part ends a line, whole.
        for right in ["¥99,999,999", "内消費税 ¥9,090,909"] {
            assert!(doc.lines.iter().any(|l| l.text.ends_with(right)), "{right}");
        }
        // The long name is all there, in order.
        let text: String = doc.lines.iter().map(|l| l.text.trim()).collect();
        assert!(text.contains("特選ブルーマウンテン"), "{text}");
        assert!(text.contains("袋入り"));
    }
    // 32 columns: the two halves of a rate line do not fit together.
    let mut doc = Doc::new(Width::Mm58);
    doc.row("10%対象 ¥99,999,999", "内消費税 ¥9,090,909");
    assert_eq!(doc.lines.len(), 2);
    assert_eq!(doc.lines[0].text, "10%対象 ¥99,999,999");
    assert_eq!(
        doc.lines[1].text,
        format!("{}内消費税 ¥9,090,909", " ".repeat(13))
    );
}

#[test]
fn rule_blank_and_plain_text() {
    let mut doc = Doc::new(Width::Mm58);
    doc.title("レシート")
        .center("適格簡易請求書")
        .rule()
        .blank()
        .text("注文番号 S01R1-7");
    doc.line("右", Style::NORMAL.align(Align::Right));
    fits(&doc);
    let want = format!(
        "{}レシート\n{}適格簡易請求書\n{}\n\n注文番号 S01R1-7\n{}右\n",
        " ".repeat(12),
        " ".repeat(9),
        "-".repeat(32),
        " ".repeat(30)
    );
    assert_eq!(doc.plain_text(), want);
    assert_eq!(doc.lines[0].size, Size::Double);
    assert!(doc.lines[0].bold);
}

#[test]
fn newlines_in_free_text_make_lines() {
    let mut doc = Doc::new(Width::Mm80);
    doc.center("いつもありがとうございます\r\nまたお越しください");
    assert_eq!(doc.lines.len(), 2);
    assert_eq!(doc.lines[1].text, "またお越しください");
}
