// Shared by the browser tests: second-factor codes and the accessibility check.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { createHmac } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/// RFC 6238 code for a base32 secret, as an authenticator app shows it.
export function totp(secretB32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[19] & 0xf;
  return String(((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000)).padStart(6, '0');
}

/// No serious or critical axe-core violation on the page (the context must bypass CSP).
export async function noSeriousAxeViolations(page) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => await window.axe.run());
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const BASE_URL = (process.env.TINHSO_BASE_URL || '').replace(/\/+$/, '');
export const SCREENSHOTS = path.resolve(process.env.TINHSO_SCREENSHOTS || path.join(here, '..', '..', 'screenshots'));
/// The demo accounts' password and their second factor's secret (printed by `tinhso demo`).
export const PASSWORD = 'ThaiAn@2026';
export const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/// Signs in on the login page; leaders and administrators also give the second factor.
export async function signIn(page, login, withCode = false) {
  await page.goto(`${BASE_URL}/login`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  if (withCode) await page.fill('#totp', totp(TOTP_SECRET));
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
  assert.equal(new URL(page.url()).pathname, '/account', `${login} signed in`);
}

/// Saves the page at 1280 and 360 px and checks nothing scrolls sideways at either width.
export async function shoot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const culprit = overflow > 1 ? await page.evaluate(() => {
      const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
      const e = wide[wide.length - 1];
      return e ? `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}` : '';
    }) : '';
    assert.ok(overflow <= 1, `${name} scrolls sideways at ${width} px (${overflow} px; ${culprit})`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/// The checks every main page gets: no serious axe violation, under 100 KB before images,
/// screenshots at 1280 and 360 px without sideways scrolling.
export async function mainPage(page, name) {
  await noSeriousAxeViolations(page);
  const weight = await pageWeight(page);
  assert.ok(weight < 100 * 1024, `${name} weighs ${weight} bytes before images`);
  await shoot(page, name);
}

/// Submits the form matched by `selector` and waits for the page it leads to.
export async function submitForm(page, selector) {
  await Promise.all([page.waitForLoadState('load'), page.click(`${selector} button[type=submit]`)]);
}

/// What the page weighs before images: the document, styles and scripts, decoded.
export async function pageWeight(page) {
  return await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const rest = performance
      .getEntriesByType('resource')
      .filter((r) => r.initiatorType !== 'img' && !/\.(png|jpe?g|gif|webp|svg)(\?|$)/.test(r.name))
      .reduce((sum, r) => sum + (r.decodedBodySize || 0), 0);
    return (nav ? nav.decodedBodySize : 0) + rest;
  });
}

/// Debian's Chromium, headless, quiet.
export async function launch() {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// Debian's Chromium for the calling test file: launched before its tests, closed after them.
/// Gives what the tests open their browser contexts with.
export function chromiumForTests() {
  let browser;
  before(async () => {
    assert.ok(BASE_URL, 'TINHSO_BASE_URL is not set; run scripts/browser-test');
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  return { newContext: (options) => browser.newContext(options) };
}

/// Waits until an upload sent by the page's script (with its progress bar) has led to the
/// dossier's page again.
export async function uploaded(page, timeout = 30_000) {
  await page.waitForURL((u) => u.searchParams.get('ok') === 'Đã tải lên.', { timeout });
}
