/**
 * Passwords never appear in output, logs or errors. Every URL or message that may hold one
 * passes through here before anybody sees it.
 */

export const MASK = '****';

/** `postgres://etl:secret@host/db` → `postgres://etl:****@host/db`. Works on unparsable text too. */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^/@:\s]*:)[^@/\n]*@/g, `$1${MASK}@`);
}

/**
 * Secrets shorter than this are not searched for in free text: a three-letter demo password
 * such as `etl` is also a word of every message. URLs are masked whatever their length.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Masks every URL-embedded password in free text, and each of the given secrets wherever
 * it appears (drivers sometimes echo a password in an error message).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = maskUrl(text);
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(MASK);
  }
  return out;
}

/** The password part of a URL, if any, decoded; for passing to `redact`. */
export function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    const match = /\/\/[^/@:\s]*:([^@/\n]*)@/.exec(url);
    return match?.[1] === undefined || match[1] === '' ? undefined : match[1];
  }
}
