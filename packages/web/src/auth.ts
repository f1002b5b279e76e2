/**
 * The page's token, for `etl ui` shared beyond loopback: every page and API answer needs it,
 * as an `Authorization: Bearer` header (scripts, Prometheus) or as the session cookie the
 * login form sets (people). The cookie holds an HMAC of the token, not the token; both are
 * compared in constant time (over their SHA-256, so not even the length leaks).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The shortest token accepted (`openssl rand -hex 32` gives 64 characters). */
export const TOKEN_MIN_LENGTH = 32;
export const SESSION_COOKIE = 'etl_ui_session';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Equal secrets, compared in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** What the session cookie holds for a token. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('etl ui session').digest('hex');
}

/** A request carries the token: as a bearer header, or as the session cookie made from it. */
export function authorized(token: string, authorization: string | undefined, session: string | undefined): boolean {
  const bearer = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined && sameSecret(bearer, token)) return true;
  return session !== undefined && sameSecret(session, sessionValue(token));
}

/** The login form (the token goes in the body of a POST, never in a URL). */
export function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>etl · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body><main class="login"><h1>etl</h1>
<p>This page needs its token (<code>ETL_UI_TOKEN</code> of the <code>etl ui</code> that serves it).</p>
${failed ? '<p class="error">That is not the token.</p>' : ''}
<form method="post" action="/login">
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}
