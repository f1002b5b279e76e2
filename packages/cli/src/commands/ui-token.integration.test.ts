/**
 * `etl ui` beyond loopback: refused without a token of at least 32 characters (exit 2); with
 * one, served on every address, and every page and API answer needs it (401 without, 200
 * with it as a bearer header or through the login form's cookie). The token appears in no
 * output of the process, no page and no URL. Services point nowhere: the page says they are
 * down, which is all these tests need of it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ETL_BIN, runEtl, scratchDir } from '../testing/run-etl.js';

const nowhere = {
  ETL_PG_URL: 'postgres://etl:etl@127.0.0.1:1/etl',
  ETL_MYSQL_URL: 'mysql://etl:etl@127.0.0.1:1/etl',
  ETL_KAFKA_BROKERS: '127.0.0.1:1',
};

describe('etl ui with a token', () => {
  it('refuses to share the page beyond loopback without a token, or with a short one (2)', async () => {
    const none = await runEtl(['ui', '--host', '0.0.0.0', '--port', '0'], { env: nowhere });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /^Error: --host 0\.0\.0\.0 shares the page .* ETL_UI_TOKEN\nHint: .*openssl rand -hex 32/,
    );
    const short = await runEtl(['ui', '--port', '0'], { env: { ...nowhere, ETL_UI_TOKEN: 'x'.repeat(31) } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('ETL_UI_TOKEN has 31 characters; a token needs at least 32');
    expect(short.stderr).not.toContain('x'.repeat(31));
  });

  it('needs the token for every page and answer, compared exactly, and never shows it', async () => {
    const token = randomBytes(32).toString('hex');
    const child = spawn(process.execPath, [ETL_BIN, 'ui', '--host', '0.0.0.0', '--port', '0', '--json'], {
      cwd: scratchDir(),
      env: { ...process.env, ...nowhere, ETL_UI_TOKEN: token, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const served = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`etl ui exited ${code}: ${stderr}`)));
    });
    try {
      const url = (await served).replace('0.0.0.0', '127.0.0.1');
      const bodies: string[] = [];
      const get = async (path: string, headers: Record<string, string> = {}) => {
        const r = await fetch(new URL(path, url), { headers, redirect: 'manual' });
        bodies.push(await r.clone().text());
        r.headers.forEach((value, name) => bodies.push(`${name}: ${value}`));
        return r;
      };
      expect((await get('/')).status).toBe(401);
      expect((await get('/api/doctor')).status).toBe(401);
      // One character off (a random token may end in 0 already: then 1).
      const wrong = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
      expect((await get('/api/doctor', { Authorization: `Bearer ${wrong}` })).status).toBe(401);
      expect((await get('/', { Authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await get('/api/runs', { Authorization: `Bearer ${token}` })).status).toBe(503); // no PostgreSQL
      expect((await get('/metrics')).status).toBe(401);
      const metrics = await get('/metrics', { Authorization: `Bearer ${token}` });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^etl_build_info\{version="[^"]+",commit="[^"]+",mode="ui"\} 1$/m);

      const login = await fetch(new URL('/login', url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });
      expect(login.status).toBe(303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect(cookie).toMatch(/^etl_ui_session=/);
      expect((await get('/stream', { Cookie: cookie })).status).toBe(200);
      bodies.push(login.headers.get('location') ?? '', cookie);
      for (const body of bodies) expect(body).not.toContain(token);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
    expect(stdout + stderr).not.toContain(token);
  });
});
