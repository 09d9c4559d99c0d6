// The "paid" chime, synthesised with WebAudio (no audio files to ship).
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

/** Two rising notes, about half a second: audible over a busy counter, not shrill. */
export function playPaid() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    if (ctx.state === 'suspended') ctx.resume();
    const t = ctx.currentTime + 0.02;
    tone(ctx, 1318.5, t, 0.25); // E6
    tone(ctx, 1760, t + 0.13, 0.4); // A6
    setTimeout(() => ctx.close().catch(() => {}), NOTES_S * 1000);
  } catch {
    // No audio device: the screen still says "paid".
  }
}
