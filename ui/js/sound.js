// The "paid" chime and the "expired" tone, synthesised with WebAudio (no audio files to ship).
//
// An open AudioContext keeps an audio pipeline (GStreamer threads and
// buffers) alive in the web process, so the chime opens one for itself and
// closes it once the notes have played: at rest the register holds none.

const NOTES_S = 0.7;

function tone(ctx, freq, start, duration, gain = 0.22) {
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

/** Plays `notes` ([freq, start s, duration s]) on a context of its own. */
function play(notes) {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    if (ctx.state === 'suspended') ctx.resume();
    const t = ctx.currentTime + 0.02;
    for (const [freq, at, duration] of notes) tone(ctx, freq, t + at, duration);
    setTimeout(() => ctx.close().catch(() => {}), NOTES_S * 1000);
  } catch {
    // No audio device: the screen still says what happened.
  }
}

/** Two rising notes, about half a second: audible over a busy counter, not shrill. */
export function playPaid() {
  play([[1318.5, 0, 0.25], [1760, 0.13, 0.4]]); // E6, A6
}

/** Two falling, lower notes: unlike "paid" by ear too, never alarming. */
export function playExpired() {
  play([[659.3, 0, 0.22], [523.3, 0.16, 0.4]]); // E5, C5
}
