// Small DOM helpers. Text from the backend is only ever set as textContent.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** el('li', { class: 'x', dataset: { id: 3 } }, 'text', childNode) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c != null && c !== false));
  return node;
}

/** Screen-reader announcement; assertive for paid/failed. */
export function announce(text, assertive = false) {
  const region = document.getElementById(assertive ? 'live-assertive' : 'live-polite');
  if (!region) return;
  // Clearing first makes a repeated identical message be read again.
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 30);
}

/** Puts an SVG drawing (the QR, made by the app) into `box`, inline: it is
 * part of the next frame with no image decode, and no image per code piles up
 * in WebKit's memory cache. Parsed as SVG, never as HTML. */
export function showSvg(box, svg) {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  box.replaceChildren(document.importNode(doc.documentElement, true));
}

/** A short notice at the bottom of the cashier window (✓ text), for news
 * the cashier should see without looking for it; gone after 6 s. */
export function toast(text) {
  const box = document.getElementById('toast');
  if (!box) return;
  box.textContent = `✓ ${text}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}
