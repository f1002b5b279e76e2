/**
 * Showing untrusted values: text from the databases and bytes from Kafka. hono's html template
 * escapes every interpolated string; these helpers make bytes and control characters visible
 * and keep data embedded for a script from closing its tag.
 */

/** Bytes as text: valid UTF-8 shown as is, control characters and invalid bytes as \xNN, cut to `max` chars. */
export function visibleBytes(bytes: Uint8Array | null, max = 300): string {
  if (bytes === null) return '(null)';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  // Control characters are exactly what this makes visible.
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) =>
    c === '\ufffd' ? '\\x??' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

/** JSON that can sit inside <script type="application/json"> without ending it or opening a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Long text cut for a table cell; the whole text stays available behind a <details>. */
export function cut(text: string, max = 120): { readonly short: string; readonly long: boolean } {
  return text.length > max ? { short: `${text.slice(0, max)}…`, long: true } : { short: text, long: false };
}

/** Seconds for people. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}
