// The one module that talks to Tauri. Everything else calls call()/on().
//
// The pages run only inside the app: Tauri 2 (app.withGlobalTauri) provides
// window.__TAURI__. There is no second backend to drift from the real one;
// screens are previewed in the real app in DEMO (ui/README.md).

function backend() {
  const tauri = window.__TAURI__;
  if (!tauri?.core?.invoke || !tauri?.event?.listen) {
    throw { code: 'unknown', message: 'EasyQR POS pages run only inside the app (no __TAURI__)' };
  }
  return {
    invoke: (cmd, args) => tauri.core.invoke(cmd, args),
    listen: (event, handler) => tauri.event.listen(event, (e) => handler(e.payload)),
    // A channel opened by a command: only windows allowed that command
    // receive what it carries (unlike a global event).
    subscribe: (cmd, handler) => {
      const channel = new tauri.core.Channel();
      channel.onmessage = handler;
      return tauri.core.invoke(cmd, { onEvent: channel });
    },
  };
}

/** Errors always reach callers as { code, message, field? }. */
function normalizeError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string') return err;
  return { code: 'unknown', message: typeof err === 'string' ? err : String(err?.message ?? err) };
}

/** Invoke a command; rejects with { code, message, field? }. */
export async function call(cmd, args = {}) {
  const b = await backend();
  try {
    return await b.invoke(cmd, args);
  } catch (err) {
    throw normalizeError(err);
  }
}

/** Listen to an event; handler gets the payload. Resolves to an unlisten function. */
export async function on(event, handler) {
  const b = await backend();
  return b.listen(event, handler);
}

/** Open a command channel; handler gets each message. */
export async function subscribe(cmd, handler) {
  const b = await backend();
  try {
    return await b.subscribe(cmd, handler);
  } catch (err) {
    throw normalizeError(err);
  }
}

// The customer window's entire contract: one read-only command, one event.
export const customerApi = {
  /** → CustomerView, to restore what the display should show after a (re)load. */
  state: () => call('customer_state'),
  /** handler(CustomerView) */
  onView: (handler) => on('customer', handler),
};
