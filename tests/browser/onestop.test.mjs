// Browser tests of the one-stop pages against `tinhso demo` (started by scripts/browser-test):
// a citizen submits online from the procedure page and uploads a document; the reception
// accepts it and opens the receipt; the specialist completes the step from the inbox; anyone
// tracks the dossier by its code. Accessibility checked with axe-core; screenshots saved at
// 1280 and 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { noSeriousAxeViolations, totp, signIn, uploaded, shoot, submitForm, BASE_URL, PASSWORD, chromiumForTests } from './helpers.mjs';

const require = createRequire(import.meta.url);

const browser = chromiumForTests();

test('tracking refuses malformed and unknown codes with readable messages', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const r = await page.goto(`${BASE_URL}/tracking?code=abc`);
    assert.equal(r.status(), 422);
    assert.equal(await page.locator('#code-err[role=alert]').count(), 1);
    const r2 = await page.goto(`${BASE_URL}/tracking?code=000.00.13.H99-200101-0001`);
    assert.equal(r2.status(), 404);
    assert.ok((await page.locator('#code-err').textContent()).includes('Không có hồ sơ'));
  } finally {
    await context.close();
  }
});

test('a citizen submits online, reception accepts, the specialist moves it on, anyone tracks it', { timeout: 120_000 }, async () => {
  const citizen = await browser.newContext({ bypassCSP: true });
  const page = await citizen.newPage();
  const staff = await browser.newContext({ bypassCSP: true });
  const officer = await staff.newPage();
  const pdf = path.join(os.tmpdir(), `to-khai-${process.pid}.pdf`);
  await writeFile(pdf, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  try {
    await signIn(page, '001090012345');
    await page.goto(`${BASE_URL}/procedures/2.000505`);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/procedures/2.000505/submit"]')]);
    // Bad data: each field says what is wrong, what was typed stays.
    await page.fill('#f-ho_ten', 'Nguyễn Văn An');
    await page.fill('#f-so_dinh_danh', '12345');
    await submitForm(page, 'form[action="/procedures/2.000505/submit"]');
    assert.ok((await page.locator('#e-so_dinh_danh').textContent()).trim().length > 0);
    assert.equal(await page.inputValue('#f-ho_ten'), 'Nguyễn Văn An');
    await noSeriousAxeViolations(page);
    await shoot(page, 'submit');
    await page.fill('#f-so_dinh_danh', '001090012345');
    await page.fill('#email', 'an.nguyen@example.vn');
    await submitForm(page, 'form[action="/procedures/2.000505/submit"]');
    // The review step: what will be filed, the appointment date if accepted today; change, then submit.
    assert.ok((await page.locator('dl.facts').textContent()).includes('an.nguyen@example.vn'));
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=step][value=edit]')]);
    assert.equal(await page.inputValue('#f-so_dinh_danh'), '001090012345', 'back to the form with what was typed');
    await submitForm(page, 'form[action="/procedures/2.000505/submit"]');
    assert.ok((await page.locator('main').textContent()).includes('ngày hẹn trả'), 'the expected appointment date');
    await noSeriousAxeViolations(page);
    await shoot(page, 'submit-review');
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=step][value=submit]')]);
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/[0-9a-f-]+$/);
    const dossierPath = new URL(page.url()).pathname;
    assert.equal(await page.locator('p.ok[role=status]').count(), 1);
    // Upload the declaration.
    await page.setInputFiles('input[type=file]', pdf);
    await page.click('form:has(input[value=upload]) button[type=submit]');
    await uploaded(page);
    assert.ok((await page.locator('p.ok[role=status]').textContent()).includes('tải lên'));
    assert.ok((await page.locator('a[href*="/attachments/"]').count()) >= 1);

    // Reception accepts from the list of dossiers waiting.
    await signIn(officer, 'tiepnhan.stp');
    await officer.goto(`${BASE_URL}/dossiers?view=submitted`);
    await Promise.all([officer.waitForLoadState('load'), officer.click(`a[href="${dossierPath}"]`)]);
    await submitForm(officer, 'form:has(input[value=accept])');
    const title = await officer.locator('h1').textContent();
    const code = title.trim().split(' ').pop();
    assert.match(code, /^000\.00\.13\.H99-\d{6}-\d{4}$/);
    const receipt = await officer.request.get(`${BASE_URL}/api/onestop${dossierPath}/papers/receipt`);
    assert.equal(receipt.status(), 200);
    assert.equal(receipt.headers()['content-type'], 'application/pdf');
    await noSeriousAxeViolations(officer);
    await shoot(officer, 'dossier-reception');

    // The specialist finds it in the inbox and completes the step.
    await staff.clearCookies();
    await signIn(officer, 'chuyenvien.stp');
    await officer.goto(`${BASE_URL}/dossiers`);
    assert.ok((await officer.locator('table').first().textContent()).includes(code), 'the task is in the inbox');
    await noSeriousAxeViolations(officer);
    await shoot(officer, 'inbox');
    await Promise.all([officer.waitForLoadState('load'), officer.click(`a[href="${dossierPath}"]`)]);
    await officer.selectOption('form:has(input[value=complete]) select[name=outcome]', 'done');
    await submitForm(officer, 'form:has(input[value=complete])');
    assert.ok((await officer.locator('p.ok[role=status]').textContent()).includes('chuyển tiếp'));
    // The handler proposes an apology with a new date; the leader approves it on the page.
    const later = new Date(Date.now() + 40 * 86400000).toISOString().slice(0, 10);
    await officer.fill('form:has(input[value=apology]) textarea[name=reason]', 'Cần xác minh thêm với cơ quan công an');
    await officer.fill('form:has(input[value=apology]) input[name=new_due_on]', later);
    await submitForm(officer, 'form:has(input[value=apology])');
    assert.ok((await officer.locator('p.ok[role=status]').textContent()).includes('xin lỗi'));
    await staff.clearCookies();
    await signIn(officer, 'lanhdao.stp', true);
    await officer.goto(`${BASE_URL}${dossierPath}`);
    await submitForm(officer, 'form:has(input[value=approve_apology])');
    assert.ok((await officer.locator('p.ok[role=status]').textContent()).includes('Đã duyệt'));
    const [y, m, d] = later.split('-');
    assert.ok((await officer.locator('section.card').first().textContent()).includes(`${d}/${m}/${y}`), 'the new due date is shown');
    assert.ok((await officer.locator('a[href$="/papers/apology"]').count()) === 1, 'the apology paper is offered');

    // Anyone tracks it by code, without signing in.
    const anon = await browser.newContext({ bypassCSP: true });
    const t = await anon.newPage();
    await t.goto(`${BASE_URL}/tracking`);
    await t.fill('#code', code);
    await Promise.all([t.waitForLoadState('load'), t.click('form[action="/tracking"] button')]);
    const result = await t.locator('section.card').textContent();
    assert.ok(result.includes('Đang xử lý') && result.includes('Lãnh đạo phòng xem xét'), result);
    assert.ok(!result.includes('Nguyễn Văn An'), 'no personal data on the tracking page');
    await noSeriousAxeViolations(t);
    await shoot(t, 'tracking');
    await anon.close();

    // The citizen sees it among their dossiers.
    await page.goto(`${BASE_URL}/dossiers`);
    assert.ok((await page.locator('table').textContent()).includes(code));
  } finally {
    await citizen.close();
    await staff.close();
  }
});

test('the reception receives a walk-in dossier at the counter and prints the receipt', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await signIn(page, 'tiepnhan.pta');
    await page.goto(`${BASE_URL}/dossiers`);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/counter"]')]);
    await page.selectOption('#procedure', '1.001193');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/counter"][method=get] button')]);
    // The applicant is found by personal number: a citizen with an account fills the details.
    await page.fill('#find', '12');
    await Promise.all([page.waitForLoadState('load'), page.click('form[role=search] button')]);
    assert.ok((await page.locator('#find-err').textContent()).trim().length > 0, 'a malformed number is explained');
    await page.fill('#find', '094300001122');
    await Promise.all([page.waitForLoadState('load'), page.click('form[role=search] button')]);
    assert.equal(await page.inputValue('#a-name'), 'Lê Hoàng Châu');
    assert.equal(await page.inputValue('#a-citizen_id'), '094300001122');
    // A wrong personal number is refused beside its field; the rest stays typed.
    await page.fill('#a-name', 'Lê Văn Dũng');
    await page.fill('#a-citizen_id', '123');
    await page.fill('#f-ho_ten', 'Lê Văn Dũng');
    await page.fill('#f-so_dinh_danh', '094300001122');
    await page.fill('#f-ho_ten_nguoi_duoc_dang_ky', 'Lê Minh Khang');
    await submitForm(page, 'form[action="/counter"][method=post]');
    assert.ok((await page.locator('#a-citizen_id + p.err').textContent()).trim().length > 0);
    assert.equal(await page.inputValue('#f-ho_ten_nguoi_duoc_dang_ky'), 'Lê Minh Khang');
    await noSeriousAxeViolations(page);
    await shoot(page, 'counter');
    await page.fill('#a-citizen_id', '094300001122');
    await submitForm(page, 'form[action="/counter"][method=post]');
    assert.match((await page.locator('h1').textContent()).trim(), /000\.00\.51\.H99-\d{6}-\d{4}$/);
    const receipt = page.locator('a[href$="/papers/receipt"]');
    assert.equal(await receipt.count(), 1, 'the receipt is offered for printing');
    const pdf = await page.request.get(BASE_URL + (await receipt.getAttribute('href')));
    assert.equal(pdf.status(), 200);
    assert.ok((await pdf.body()).subarray(0, 5).toString() === '%PDF-');
  } finally {
    await context.close();
  }
});

test("the leaders' dashboard shows the on-time rate, charts, the overdue list and a CSV export", { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await signIn(page, 'lanhdao.stp', true);
    await page.goto(`${BASE_URL}/dossiers`);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/dashboard"]')]);
    assert.ok((await page.locator('p.big').first().textContent()).includes('%'));
    assert.ok((await page.locator('svg.chart[role=img] title').count()) >= 2, 'labelled charts');
    await noSeriousAxeViolations(page);
    await shoot(page, 'dashboard');
    const csv = await page.request.get(`${BASE_URL}/dashboard/export.csv?from=2000-01-01&to=2100-01-01`);
    assert.equal(csv.status(), 200);
    const text = await csv.text();
    assert.ok(text.includes('Đúng hạn (%)') && text.includes('000.00.13.H99'), text.slice(0, 300));
    // A bad period is refused with a readable message.
    await page.goto(`${BASE_URL}/dashboard?from=2026-12-31&to=2026-01-01`);
    assert.equal(await page.locator('p.err[role=alert]').count(), 1);
  } finally {
    await context.close();
  }
});
