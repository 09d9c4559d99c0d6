// The "paid" chime, synthesised with WebAudio (no audio files to ship).

let ctx;

// Browsers/WebKit only let audio start after a user gesture: unlock on the first one.
function unlock() {
  ctx ??= new (window.AudioContext || window.webkitAudioContext)();
  if (ctx.state === 'suspended') ctx.resume();
}
for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, unlock, { once: true, capture: true });

function tone(freq, start, duration, gain = 0.22) {
  const osc = ctx.createOscillator();
  const amp = ctx.createGain();
  osc.type = 'sine';
  osc.frequency.value = freq;
  amp.gain.setValueAtTime(0, start);
  amp.gain.linearRampToValueAtTime(gain, start + 0.01);
  amp.gain.exponentialRampToValueAtTime(0.001, start + duration);
  osc.connect(amp).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + duration + 0.05);
}

/** Two rising notes, about half a second: audible over a busy counter, not shrill. */
export function playPaid() {
  try {
    unlock();
    const t = ctx.currentTime + 0.02;
    tone(1318.5, t, 0.25); // E6
    tone(1760, t + 0.13, 0.4); // A6
  } catch {
    // No audio device: the screen still says "paid".
  }
}
