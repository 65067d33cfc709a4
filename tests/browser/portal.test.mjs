// Browser tests of the public portal in a real headless Chromium (Debian's), driven by
// playwright-core. Run them with scripts/browser-test, which starts `tinhso demo` and sets
// TINHSO_BASE_URL; or by hand against a running demo server:
//   TINHSO_BASE_URL=http://127.0.0.1:8080 node --test tests/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumForTests } from './helpers.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

const BASE_URL = (process.env.TINHSO_BASE_URL || '').replace(/\/+$/, '');
const SCREENSHOTS = path.resolve(process.env.TINHSO_SCREENSHOTS || path.join(repoRoot, 'screenshots'));
const AXE_PATH = require.resolve('axe-core/axe.min.js');

const BIRTH = '1.001193'; // Đăng ký khai sinh in the demo province
const AGENCY = '000.00.13.H99'; // Sở Tư pháp in the demo province

const TEST_TIMEOUT = 120_000;

const browser = chromiumForTests();

function url(p) {
  return BASE_URL + p;
}


// Runs fn with a fresh page in its own browser context, and always closes both.
async function withPage(contextOptions, fn) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(30_000);
  try {
    return await fn(page, context);
  } finally {
    await page.close().catch(() => {});
    await context.close();
  }
}

// Navigates and asserts the server answered 200.
async function open(page, p) {
  const response = await page.goto(url(p), { waitUntil: 'load' });
  assert.ok(response, `no response for ${p}`);
  assert.equal(response.status(), 200, `GET ${p} answered ${response.status()}`);
  return response;
}

async function text(locator) {
  return ((await locator.textContent()) ?? '').trim();
}

test('search for a procedure and open it', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({}, async (page) => {
    await open(page, '/');
    await page.fill('#q', 'dang ky khai sinh');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/procedures' && u.searchParams.get('q') === 'dang ky khai sinh'),
      page.press('#q', 'Enter'),
    ]);

    const first = page.locator('ul.results li h2 a').first();
    assert.equal(await text(first), 'Đăng ký khai sinh', 'first search result');

    await Promise.all([
      page.waitForURL((u) => u.pathname === `/procedures/${BIRTH}`),
      first.click(),
    ]);
    assert.equal(new URL(page.url()).pathname, `/procedures/${BIRTH}`);
    assert.equal(await text(page.locator('h1')), 'Đăng ký khai sinh');

    // The required documents are a table; the birth declaration form is one of its rows.
    const cells = page.locator('table tbody td');
    const docs = await cells.allTextContents();
    assert.ok(
      docs.some((t) => t.trim().startsWith('Tờ khai đăng ký khai sinh')),
      `no table cell with "Tờ khai đăng ký khai sinh" among: ${JSON.stringify(docs)}`,
    );
  });
});

test('filters work without JavaScript', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await open(page, '/procedures');
    await page.selectOption('select#field', { label: 'Hộ tịch' });
    const form = page.locator('form').filter({ has: page.locator('select#field') });
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/procedures' && u.searchParams.has('field')),
      form.locator('button[type=submit]').click(),
    ]);
    assert.equal(new URL(page.url()).searchParams.get('field'), 'HT');

    const status = await text(page.locator('p[role=status]'));
    assert.match(status, /^10(\s|$)/, `count text is "${status}"`);

    const items = page.locator('ul.results > li');
    const n = await items.count();
    assert.ok(n > 0, 'no result listed');
    for (let i = 0; i < n; i++) {
      const item = items.nth(i);
      const tags = (await item.locator('.tags li').allTextContents()).map((t) => t.trim());
      const name = await text(item.locator('h2'));
      assert.ok(tags.includes('Hộ tịch'), `result ${i + 1} "${name}" has tags ${JSON.stringify(tags)}`);
    }
    // The chosen field stays selected on the result page.
    assert.equal(await page.locator('select#field').inputValue(), 'HT');
  });
});

test('English switch', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({}, async (page) => {
    await open(page, `/procedures/${BIRTH}`);
    await page.locator('html[lang=vi]').waitFor({ state: 'attached' });

    await page.click('a.langswitch');
    await page.locator('html[lang=en]').waitFor({ state: 'attached' });
    await page.waitForLoadState('load');
    assert.equal(new URL(page.url()).pathname, `/procedures/${BIRTH}`, 'stays on the same page');
    const navEn = await text(page.locator('header nav'));
    assert.ok(navEn.includes('Procedures'), `nav is "${navEn}"`);

    await page.click('a.langswitch');
    await page.locator('html[lang=vi]').waitFor({ state: 'attached' });
    await page.waitForLoadState('load');
    assert.equal(new URL(page.url()).pathname, `/procedures/${BIRTH}`, 'stays on the same page');
    const navVi = await text(page.locator('header nav'));
    assert.ok(navVi.includes('Thủ tục hành chính'), `nav is "${navVi}"`);
  });
});

test('usable at 360 px', { timeout: TEST_TIMEOUT }, async () => {
  const pages = ['/', '/procedures', `/procedures/${BIRTH}`, '/agencies', '/units'];
  await withPage({ viewport: { width: 360, height: 740 } }, async (page) => {
    const overflowing = [];
    for (const p of pages) {
      await open(page, p);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) {
        // Name the elements that stick out, to make the failure actionable.
        const culprits = await page.evaluate(() => {
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > 360.5 && r.width > 0) {
              const id = el.id ? `#${el.id}` : '';
              const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
              out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)}px)`);
            }
          }
          return out.slice(0, 8);
        });
        overflowing.push(`${p}: scrollWidth ${width} > 360; ${culprits.join(', ')}`);
      }
    }
    assert.deepEqual(overflowing, [], `horizontal scroll at 360 px:\n${overflowing.join('\n')}`);
  });
});

test('accessibility', { timeout: TEST_TIMEOUT * 2 }, async () => {
  const pages = ['/', '/procedures', `/procedures/${BIRTH}`, '/agencies', `/agencies/${AGENCY}`, '/units', '/holidays'];
  // The pages send `script-src 'self'`; axe is injected as a script, so the CSP is bypassed here only.
  await withPage({ bypassCSP: true }, async (page) => {
    const problems = [];
    for (const p of pages) {
      await open(page, p);
      await page.addScriptTag({ path: AXE_PATH });
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run();
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({
            target: n.target.join(' '),
            html: n.html.slice(0, 200),
            summary: (n.failureSummary || '').replace(/\s+/g, ' ').trim(),
          })),
        }));
      });
      for (const v of violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        const nodes = v.nodes
          .slice(0, 10)
          .map((n) => `      ${n.target}  ${n.html}\n        ${n.summary}`)
          .join('\n');
        const more = v.nodes.length > 10 ? `\n      … and ${v.nodes.length - 10} more` : '';
        problems.push(`${p}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} element(s))\n${nodes}${more}`);
      }
    }
    assert.deepEqual(problems, [], `serious or critical accessibility violations:\n${problems.join('\n')}`);
  });
});

test('screenshots', { timeout: TEST_TIMEOUT * 2 }, async () => {
  const shots = [
    ['/', 'home'],
    ['/procedures', 'procedures'],
    [`/procedures/${BIRTH}`, `procedure-${BIRTH}`],
    ['/agencies', 'agencies'],
    ['/units', 'units'],
    ['/holidays', 'holidays'],
  ];
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 360]) {
    await withPage({ viewport: { width, height: 800 } }, async (page) => {
      for (const [p, name] of shots) {
        await open(page, p);
        const file = path.join(SCREENSHOTS, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        const png = await readFile(file);
        assert.ok(png.length > 1000, `${file} is only ${png.length} bytes`);
        assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
      }
    });
  }
});
