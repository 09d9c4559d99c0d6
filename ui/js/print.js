// The OS print dialog, the fallback when no receipt printer is set: Rust's
// laid-out lines (a receipt, an X/Z report) drawn as they would come out of
// the thermal printer — each line pre-formatted in a monospaced Japanese
// font, where a kanji takes two columns like on the printer — on a roll of
// the printer's width, or centred on an A4 page. Nothing is laid out here:
// the columns, the padding and the words are Rust's.

import { $, el } from './dom.js';

const PAPER_KEY = 'easyqr.dialogPaper';

/** "roll" (receipt width) or "a4": the cashier's last choice on this register. */
export function dialogPaper() {
  try {
    return localStorage.getItem(PAPER_KEY) === 'a4' ? 'a4' : 'roll';
  } catch {
    return 'roll';
  }
}

export function setDialogPaper(paper) {
  try {
    localStorage.setItem(PAPER_KEY, paper === 'a4' ? 'a4' : 'roll');
  } catch {
    // private mode or no storage: the choice lasts this print only
  }
}

const ALIGN = new Set(['left', 'center', 'right']);
const SIZE = new Set(['normal', 'double', 'tall']);

/** Draws `lines` ([{ text, align, bold, size }]) into the print view. */
export function drawLines(lines, { widthMm = 80, paper = dialogPaper() } = {}) {
  const view = $('#print-view');
  view.className = `print-view paper-${paper === 'a4' ? 'a4' : 'roll'} width-${widthMm === 58 ? 58 : 80}`;
  view.replaceChildren(...lines.map((l) => el('div', {
    class: [
      'pv-line',
      `align-${ALIGN.has(l.align) ? l.align : 'left'}`,
      `size-${SIZE.has(l.size) ? l.size : 'normal'}`,
      l.bold ? 'bold' : null,
    ].filter(Boolean).join(' '),
  }, l.text === '' ? '\u00a0' : l.text)));
  // The page: A4 with margins, or the roll's own width (the driver of a
  // thermal printer knows its paper; no margins of ours on it).
  $('#print-page')?.remove();
  document.head.append(el('style', { id: 'print-page' }, paper === 'a4'
    ? '@page { size: A4; margin: 18mm; }'
    : `@page { size: ${widthMm === 58 ? 58 : 80}mm 297mm; margin: 3mm 0; }`));
}

/** Draws the lines and opens the OS print dialog. */
export function printLines(lines, opts) {
  drawLines(lines, opts);
  document.body.classList.add('printing');
  window.addEventListener('afterprint', () => document.body.classList.remove('printing'), { once: true });
  window.print();
}
