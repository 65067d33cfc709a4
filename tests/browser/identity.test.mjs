// Browser tests of sign-in, the account page and the OpenID Connect code flow with PKCE, in
// headless Chromium against `tinhso demo` (started by scripts/browser-test, which also tells
// where the demo's administrator token is, to register a client).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { chromiumForTests, noSeriousAxeViolations, totp } from './helpers.mjs';

const BASE_URL = (process.env.TINHSO_BASE_URL || '').replace(/\/+$/, '');
const TOKEN_FILE = process.env.TINHSO_ADMIN_TOKEN_FILE || '';
const CITIZEN = '079185004321';
const PASSWORD = 'ThaiAn@2026';

const require = createRequire(import.meta.url);

const browser = chromiumForTests();

async function signIn(page, login, password) {
  await page.goto(`${BASE_URL}/login`);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
}

test('a citizen signs in, sees the account and signs out', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page, CITIZEN, 'wrong-password-1A');
    assert.equal(await page.locator('p.err[role=alert]').count(), 1, 'a wrong password shows a readable error');
    await signIn(page, CITIZEN, PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/account');
    assert.equal((await page.locator('h1').textContent()).trim(), 'Trần Thị Bình');
    assert.ok((await page.locator('table tbody tr').count()) >= 1, 'the session list shows this session');
    assert.ok(await page.locator('a.who').isVisible());
    await Promise.all([page.waitForLoadState('load'), page.click('header form[action="/logout"] button')]);
    await page.goto(`${BASE_URL}/account`);
    assert.equal(new URL(page.url()).pathname, '/login', 'signed out: the account page asks to sign in');
  } finally {
    await context.close();
  }
});

test('registration refuses bad input with readable messages', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${BASE_URL}/register`);
    await page.fill('#citizen_id', '123');
    await page.fill('#full_name', 'A');
    await page.fill('#password', 'short');
    await page.fill('#password2', 'short');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/register"] button[type=submit]')]);
    assert.ok((await page.locator('#citizen_id-err').textContent()).trim().length > 0);
    assert.ok((await page.locator('#password-err').textContent()).trim().length > 0);
    assert.equal(await page.inputValue('#full_name'), 'A', 'what was typed is kept');
  } finally {
    await context.close();
  }
});

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

test('OpenID Connect: code flow with PKCE through the browser, ID token verified with the JWKS', { timeout: 90_000 }, async () => {
  assert.ok(TOKEN_FILE, 'TINHSO_ADMIN_TOKEN_FILE is not set; run scripts/browser-test');
  // The client application: a server on a free loopback port that receives the redirect.
  let callback = null;
  const app = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname === '/callback') callback = u;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('signed in');
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const CALLBACK = `http://127.0.0.1:${app.address().port}/callback`;
  const admin = (await readFile(TOKEN_FILE, 'utf8')).trim();
  const reg = await fetch(`${BASE_URL}/api/oidc/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Ứng dụng thử trình duyệt', redirect_uris: [CALLBACK], grant_types: ['authorization_code'], scopes: ['openid', 'profile', 'citizen_id'] }),
  });
  assert.equal(reg.status, 201);
  const { client, client_secret } = await reg.json();
  const discovery = await (await fetch(`${BASE_URL}/.well-known/openid-configuration`)).json();
  const verifier = b64url(randomBytes(40));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const auth = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'openid profile citizen_id', state, nonce, code_challenge: challenge, code_challenge_method: 'S256' })) {
    auth.searchParams.set(k, v);
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(auth.toString());
    assert.equal(new URL(page.url()).pathname, '/login', 'not signed in: the provider asks to sign in');
    await page.fill('#login', CITIZEN);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
    // Sharing the personal number needs consent.
    await page.waitForSelector('button[name=decision][value=allow]');
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(CALLBACK)), page.click('button[name=decision][value=allow]')]);
    assert.ok(callback, 'the browser came back to the client');
    assert.equal(callback.searchParams.get('state'), state);
    const code = callback.searchParams.get('code');
    const tokenRes = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${client.client_id}:${client_secret}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }),
    });
    assert.equal(tokenRes.status, 200);
    const tokens = await tokenRes.json();
    const [h, p, s] = tokens.id_token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    const jwks = await (await fetch(discovery.jwks_uri)).json();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the ID token is signed by a published key');
    const key = await webcrypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const ok = await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(s, 'base64url'), Buffer.from(`${h}.${p}`));
    assert.ok(ok, 'the ID token signature verifies');
    assert.equal(claims.iss, discovery.issuer);
    assert.equal(claims.aud, client.client_id);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.preferred_username, CITIZEN);
    const info = await (await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    assert.equal(info.sub, claims.sub);
    assert.equal(info.citizen_id, CITIZEN);
  } finally {
    await context.close();
    app.close();
  }
});

test('an agency administrator signs in with a second factor, adds an official and grants a role', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await page.goto(`${BASE_URL}/login`);
    await page.fill('#login', 'quantri.stp');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
    assert.ok(await page.locator('#totp[required]').count(), 'the code is asked for');
    await page.fill('#password', PASSWORD);
    await page.fill('#totp', totp('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/account');
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/admin/officials"]')]);
    const login = `moi${Date.now() % 100000}.stp`;
    await page.fill('#login', login);
    await page.fill('#full_name', 'Cán Bộ Thử Trình Duyệt');
    await page.selectOption('#agency_code', '000.00.13.H99');
    await page.fill('#password', 'Can-Bo-Moi-2026');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/admin/officials"] button[type=submit]')]);
    assert.ok((await page.locator('[role=status]').textContent()).includes('official added'));
    const row = page.locator('tr', { hasText: login });
    await row.locator('select[name=role]').selectOption('specialist');
    await Promise.all([page.waitForLoadState('load'), row.locator('form[action$="/roles"] button[type=submit]').click()]);
    assert.ok((await page.locator('tr', { hasText: login }).textContent()).includes('Chuyên viên thụ lý'));
    // Only agencies within the administrator's scope are offered.
    const options = await page.locator('#agency_code option').allTextContents();
    assert.ok(options.every((o) => o.includes('H99') && !o.includes('000.00.51.H99')), options.join(' | '));
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const result = await page.evaluate(async () => await window.axe.run());
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  } finally {
    await context.close();
  }
});

async function signInWithCode(page, login) {
  await page.goto(`${BASE_URL}/login`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await page.fill('#totp', totp('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
  assert.equal(new URL(page.url()).pathname, '/account', `${login} signed in`);
}


test('a citizen who forgot the password resets it with the link the platform sent', { timeout: 90_000 }, async () => {
  const citizen = await browser.newContext();
  const admin = await browser.newContext({ bypassCSP: true });
  const page = await citizen.newPage();
  const adminPage = await admin.newPage();
  try {
    await page.goto(`${BASE_URL}/login`);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/password/forgot"]')]);
    await page.fill('#login', 'chau.le@example.vn');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/password/forgot"] button[type=submit]')]);
    assert.equal(await page.locator('p.ok[role=status]').count(), 1, 'the page says a link was sent');

    // No mail server in the demo: the message is recorded, and the provincial administrator
    // sees it on the notifications page.
    await signInWithCode(adminPage, 'quantri.tinh');
    let link = '';
    for (let i = 0; i < 40 && !link; i++) {
      await adminPage.goto(`${BASE_URL}/admin/messages`);
      const row = adminPage.locator('tr', { hasText: 'chau.le@example.vn' }).first();
      if (await row.count()) {
        const body = await row.locator('pre').textContent();
        link = (body.match(/https?:\/\/\S+\/password\/reset\?token=\S+/) || [''])[0];
      }
      if (!link) await adminPage.waitForTimeout(250);
    }
    assert.ok(link, 'the reset message was recorded with its link');
    await noSeriousAxeViolations(adminPage);

    await page.goto(link);
    // Long enough for the browser's own check, too weak for the server's.
    await page.fill('#password', 'aaaaaaaaaaaa');
    await page.fill('#password2', 'aaaaaaaaaaaa');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/password/reset"] button[type=submit]')]);
    assert.equal(await page.locator('p.err[role=alert]').count(), 1, 'a weak password gets a readable error');
    await page.fill('#password', 'Chau-Moi-2026!');
    await page.fill('#password2', 'Chau-Moi-2026!');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/password/reset"] button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.locator('p.ok[role=status]').count(), 1);
    await signIn(page, '094300001122', 'Chau-Moi-2026!');
    assert.equal(new URL(page.url()).pathname, '/account');
    assert.ok((await page.locator('#profile').textContent()).includes('đã xác minh'), 'the e-mail counts as verified');
    // The link works once.
    await page.goto(link);
    assert.equal(await page.locator('a[href="/password/forgot"].button').count(), 1, 'a used link says so and offers a new one');
  } finally {
    await citizen.close();
    await admin.close();
  }
});

test('the provincial administrator registers an OpenID Connect client on its page', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await signInWithCode(page, 'quantri.tinh');
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/admin/clients"]')]);
    // A registration without a redirect address is refused, each error by its field.
    await page.fill('#name', 'Cổng thử nghiệm');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/admin/clients"] button[type=submit]')]);
    assert.ok((await page.locator('#ru-err').textContent()).trim().length > 0);
    assert.equal(await page.inputValue('#name'), 'Cổng thử nghiệm', 'what was typed is kept');
    await page.fill('#redirect_uris', 'https://congthu.example.vn/callback');
    await page.fill('#scopes', 'openid profile');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/admin/clients"] button[type=submit]')]);
    const clientId = (await page.locator('#new-client-id').textContent()).trim();
    assert.match(clientId, /^c-/);
    assert.ok((await page.locator('#new-client-secret').textContent()).trim().length >= 32, 'the secret is shown once');
    const row = page.locator('tr', { hasText: clientId });
    assert.ok((await row.textContent()).includes('congthu.example.vn'));
    await noSeriousAxeViolations(page);
    // A new secret, shown once in place of the old one.
    const first = (await page.locator('#new-client-secret').textContent()).trim();
    await Promise.all([page.waitForLoadState('load'), row.locator(`form[action="/admin/clients/${clientId}/secret"] button`).click()]);
    assert.equal((await page.locator('#new-client-id').textContent()).trim(), clientId);
    const second = (await page.locator('#new-client-secret').textContent()).trim();
    assert.ok(second.length >= 32 && second !== first, 'a different secret is shown');
    await Promise.all([page.waitForLoadState('load'), page.locator('tr', { hasText: clientId }).locator(`form[action="/admin/clients/${clientId}/disable"] button`).click()]);
    assert.ok((await page.locator('tr', { hasText: clientId }).textContent()).includes('Đã khóa'));
    assert.equal(await page.locator(`form[action="/admin/clients/${clientId}/secret"]`).count(), 0, 'a disabled client gets no new secret');
  } finally {
    await context.close();
  }
});
