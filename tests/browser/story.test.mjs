// The whole story in a browser, as the issue tells it: a citizen registers, submits online
// with an attachment (upload progress shown), gets a supplement request, uploads, the
// reception accepts, the specialist processes, the head of department reviews, the leader
// approves, the clerk numbers, the citizen pays, the reception returns the electronic result,
// the citizen downloads it and rates the service; the leader sees the rating on the
// dashboard. Then the administrator's console: procedures, the process editor with its
// picture, agencies, the calendar. Every main page: no serious axe violation, under 100 KB
// before images, screenshots at 1280 and 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, mainPage, signIn, submitForm, uploaded, chromiumForTests } from './helpers.mjs';

const browser = chromiumForTests();

async function notice(page) {
  return (await page.locator('p.ok[role=status]').textContent()).trim();
}

/// An official completes the open step of the dossier with `outcome`.
async function completeStep(page, dossierPath, outcome) {
  await page.goto(`${BASE_URL}${dossierPath}`);
  await page.selectOption('form:has(input[value=complete]) select[name=outcome]', outcome);
  await submitForm(page, 'form:has(input[value=complete])');
  assert.ok((await notice(page)).length > 0, `the ${outcome} step is recorded`);
}

test('the whole story: register, submit, supplement, process, approve, pay, result, rating', { timeout: 240_000 }, async () => {
  const citizenCtx = await browser.newContext({ bypassCSP: true });
  const page = await citizenCtx.newPage();
  const staffCtx = await browser.newContext({ bypassCSP: true });
  const officer = await staffCtx.newPage();
  const small = path.join(os.tmpdir(), `ban-sao-${process.pid}.pdf`);
  const big = path.join(os.tmpdir(), `to-khai-lon-${process.pid}.pdf`);
  await writeFile(small, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  await writeFile(big, Buffer.concat([Buffer.from('%PDF-1.4\n% '), Buffer.alloc(1024 * 1024, 0x41), Buffer.from('\n%%EOF\n')]));
  try {
    // 1. A new citizen registers and is signed in.
    const cid = `094195${String(process.pid % 1_000_000).padStart(6, '0')}`;
    await page.goto(`${BASE_URL}/register`);
    await page.fill('#citizen_id', cid);
    await page.fill('#full_name', 'Lâm Thị Hồng');
    await page.fill('#email', `hong.${process.pid}@example.vn`);
    await page.fill('#password', 'Hong-Soc-Trang-2026');
    await page.fill('#password2', 'Hong-Soc-Trang-2026');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/register"] button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/account', 'registered and signed in');

    // 2. Submits online: the e-form comes filled from the account.
    await page.goto(`${BASE_URL}/procedures/2.000505`);
    await mainPage(page, 'procedure');
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/procedures/2.000505/submit"]')]);
    assert.equal(await page.inputValue('#f-ho_ten'), 'Lâm Thị Hồng', 'name prefilled from the account');
    assert.equal(await page.inputValue('#f-so_dinh_danh'), cid, 'identification number prefilled');
    await submitForm(page, 'form[action="/procedures/2.000505/submit"]');
    assert.ok((await page.locator('dl.facts').textContent()).includes(cid), 'the review shows what will be filed');
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=step][value=submit]')]);
    const dossierPath = new URL(page.url()).pathname;
    assert.match(dossierPath, /^\/dossiers\/[0-9a-f-]+$/);

    // 3. Uploads a 1 MB declaration over a slow line: the progress is shown, then the page.
    const cdp = await citizenCtx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 4_000_000, uploadThroughput: 400_000 });
    await page.setInputFiles('form:has(input[value=upload]) input[type=file]', big);
    await page.click('form:has(input[value=upload]) button[type=submit]');
    await page.waitForFunction(() => /\d+ %/.test(document.querySelector('.upload-status')?.textContent || ''), null, { timeout: 20_000 });
    const shown = await page.locator('progress').evaluate((p) => p.value);
    assert.ok(shown >= 0 && shown <= 100, `progress shown (${shown})`);
    await uploaded(page, 60_000);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    assert.ok((await notice(page)).includes('tải lên'));
    assert.equal(await page.locator('a[href*="/attachments/"]').count(), 1);
    await mainPage(page, 'dossier-citizen');

    // 4. The reception asks for everything missing, once.
    await signIn(officer, 'tiepnhan.stp');
    await officer.goto(`${BASE_URL}${dossierPath}`);
    await officer.fill('form:has(input[value=supplement_request]) textarea[name=items]', 'Bản sao căn cước công dân\nẢnh 4x6');
    await submitForm(officer, 'form:has(input[value=supplement_request])');
    assert.ok((await notice(officer)).includes('bổ sung'));

    // 5. The citizen uploads the missing copy and hands in the supplement.
    await page.goto(`${BASE_URL}${dossierPath}`);
    assert.equal(await page.locator('form:has(input[name=action][value=supplement])').count(), 1, 'the supplement is asked for');
    await page.setInputFiles('form:has(input[value=upload]) input[type=file]', small);
    await page.click('form:has(input[value=upload]) button[type=submit]');
    await uploaded(page);
    await submitForm(page, 'form:has(input[name=action][value=supplement])');
    assert.ok((await notice(page)).includes('bổ sung'));

    // 6. The reception accepts: the code is issued and the receipt printed.
    await officer.goto(`${BASE_URL}${dossierPath}`);
    await submitForm(officer, 'form:has(input[value=accept])');
    const code = (await officer.locator('h1').textContent()).trim().split(' ').pop();
    assert.match(code, /^000\.00\.13\.H99-\d{6}-\d{4}$/);
    const receipt = await officer.request.get(`${BASE_URL}/api/onestop${dossierPath}/papers/receipt`);
    assert.equal(receipt.headers()['content-type'], 'application/pdf');

    // 7. Specialist, head of department, leader, clerk: each completes their step.
    await staffCtx.clearCookies();
    await signIn(officer, 'chuyenvien.stp');
    await completeStep(officer, dossierPath, 'done');
    await staffCtx.clearCookies();
    await signIn(officer, 'truongphong.stp', true);
    await completeStep(officer, dossierPath, 'done');
    await staffCtx.clearCookies();
    await signIn(officer, 'lanhdao.stp', true);
    await completeStep(officer, dossierPath, 'approved');
    await staffCtx.clearCookies();
    await signIn(officer, 'vanthu.stp');
    await completeStep(officer, dossierPath, 'done');

    // 8. Fees are due: the citizen pays on the dossier's page.
    await page.goto(`${BASE_URL}${dossierPath}`);
    assert.equal(await page.locator('form:has(input[value=pay])').count(), 1, 'the payment form is offered');
    await submitForm(page, 'form:has(input[value=pay])');
    assert.ok((await notice(page)).includes('thanh toán'));

    // 9. The reception attaches the electronic result and returns it.
    await staffCtx.clearCookies();
    await signIn(officer, 'tiepnhan.stp');
    await officer.goto(`${BASE_URL}${dossierPath}`);
    await officer.setInputFiles('form:has(input[value=result]) input[type=file]', small);
    await officer.click('form:has(input[value=result]) button[type=submit]');
    await uploaded(officer);
    await officer.selectOption('form:has(input[value=return]) select[name=method]', 'electronic');
    await submitForm(officer, 'form:has(input[value=return])');
    assert.ok((await notice(officer)).includes('trả kết quả'));

    // 10. The citizen downloads the result and rates the service.
    await page.goto(`${BASE_URL}${dossierPath}`);
    const links = await page.locator('a[href*="/attachments/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.equal(links.length, 3, 'declaration, copy and result');
    const result = await page.request.get(`${BASE_URL}${links[links.length - 1]}`);
    assert.equal(result.status(), 200);
    await page.selectOption('form:has(input[value=rate]) select[name=score]', '5');
    await page.fill('form:has(input[value=rate]) textarea[name=comment]', 'Nhanh, cán bộ nhiệt tình');
    await submitForm(page, 'form:has(input[value=rate])');
    assert.ok((await notice(page)).includes('đánh giá'));
    assert.ok((await page.locator('section.card').first().textContent()).includes('5/5'));
    await mainPage(page, 'dossier-returned');
    await page.goto(`${BASE_URL}/dossiers`);
    assert.ok((await page.locator('table').textContent()).includes(code));
    await mainPage(page, 'my-dossiers');

    // 11. The leader sees the rating and the comment on the dashboard.
    await staffCtx.clearCookies();
    await signIn(officer, 'lanhdao.stp', true);
    await officer.goto(`${BASE_URL}/dashboard`);
    const sat = await officer.locator('section.card:has(#satisfaction)').textContent();
    assert.ok(sat.includes('Nhanh, cán bộ nhiệt tình') && sat.includes(code), sat);
    await mainPage(officer, 'dashboard-satisfaction');
  } finally {
    await citizenCtx.close();
    await staffCtx.close();
  }
});

test("the administrator's console: procedures, the process editor and its picture, agencies, calendar", { timeout: 120_000 }, async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  try {
    await signIn(page, 'quantri.tinh', true);
    await Promise.all([page.waitForLoadState('load'), page.click('nav a[href="/admin"]')]);
    await mainPage(page, 'admin');
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/admin/procedures"]')]);
    await page.fill('#q', 'ly lich tu phap');
    await submitForm(page, 'form[action="/admin/procedures"]');
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/admin/procedures/2.000505/process"]')]);
    // The picture: one box per step, arrows between them.
    const boxes = await page.locator('svg.process rect').count();
    const steps = await page.locator('fieldset.step').count();
    assert.equal(boxes, steps - 2, 'a box per step (and two blank rows to add steps)');
    assert.ok((await page.locator('svg.process path, svg.process line').count()) >= boxes - 1);
    await mainPage(page, 'process-editor');
    // A wrong duration: the row says so, nothing saved.
    const duration = await page.inputValue('#s1-duration');
    await page.fill('#s1-duration', 'bốn');
    await submitForm(page, 'form.process-editor');
    assert.ok((await page.locator('fieldset.step.invalid').first().textContent()).includes('thời gian là một số'));
    assert.equal(await page.inputValue('#s1-duration'), 'bốn');
    await page.fill('#s1-duration', duration);
    await submitForm(page, 'form.process-editor');
    assert.ok((await notice(page)).includes('phiên bản'), 'saved as a new version');

    await page.goto(`${BASE_URL}/admin/procedures/2.000505`);
    await mainPage(page, 'admin-procedure');
    await page.goto(`${BASE_URL}/admin/agencies`);
    await mainPage(page, 'admin-agencies');
    await page.goto(`${BASE_URL}/admin/calendar`);
    await page.fill('#date', '2026-12-31');
    await page.fill('#name', 'Nghỉ cuối năm (thử)');
    await submitForm(page, 'form[action="/admin/calendar"]');
    assert.ok((await page.locator('table').first().textContent()).includes('31/12/2026'));
    await mainPage(page, 'admin-calendar');
    await page.goto(`${BASE_URL}/admin/lgsp`);
    assert.ok((await page.locator('h1').textContent()).includes('LGSP'));
    await mainPage(page, 'lgsp-monitoring');
  } finally {
    await ctx.close();
  }
});

test('the LGSP registry from its pages: a member, subsystems, a service published and granted', { timeout: 120_000 }, async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  // Codes of their own, so a second run on the same database registers new ones.
  const n = String(Date.now() % 100);
  const member = `000.00.${n.padStart(2, '0')}.K${String(process.pid % 90 + 10)}`;
  try {
    await signIn(page, 'quantri.tinh', true);
    await page.goto(`${BASE_URL}/admin/lgsp`);
    await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/admin/lgsp/registry"]')]);

    // A member: a code with a slash is refused with the problem shown and the form kept.
    await page.fill('#m-code', 'sai/ma');
    await page.fill('#m-name', 'Sở Thử nghiệm');
    await submitForm(page, 'form[action="/admin/lgsp/registry/members"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('code:'));
    assert.equal(await page.inputValue('#m-name'), 'Sở Thử nghiệm');
    await page.fill('#m-code', member);
    await submitForm(page, 'form[action="/admin/lgsp/registry/members"]');
    assert.ok((await notice(page)).includes(member));

    // Its two subsystems: one calls (with a daily quota), one provides.
    for (const [code, name, quota] of [['motcua', 'Một cửa thử nghiệm', '500'], ['dancu', 'Dữ liệu dân cư thử nghiệm', '']]) {
      await page.selectOption('#s-member', `VN/GOV/${member}`);
      await page.fill('#s-code', code);
      await page.fill('#s-name', name);
      await page.fill('#s-quota', quota);
      await submitForm(page, 'form[action="/admin/lgsp/registry/subsystems"]');
      assert.ok((await notice(page)).includes(`${member}/${code}`));
    }
    assert.ok((await page.locator('#subsystems').textContent()).includes('0 / 500'), "today's calls against the quota");

    // A service: registered as a draft, then on its page moved to testing and published.
    await page.selectOption('#v-provider', `VN/GOV/${member}/dancu`);
    await page.fill('#v-code', 'congdan');
    await page.fill('#v-name', 'Tra cứu công dân thử nghiệm');
    await page.fill('#v-upstream', 'http://127.0.0.1:9/api');
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    assert.ok(new URL(page.url()).pathname.startsWith('/admin/lgsp/services/'));
    assert.equal((await page.locator('#state').textContent()).trim(), 'Nháp');
    await page.selectOption('#to', 'testing');
    await submitForm(page, 'form[action$="/state"]');
    await page.selectOption('#to', 'published');
    await page.fill('#note', 'Quyết định phê duyệt số 7');
    await submitForm(page, 'form[action$="/state"]');
    assert.equal((await page.locator('#state').textContent()).trim(), 'Đang cung cấp');
    assert.ok((await page.locator('#history').textContent()).includes('Quyết định phê duyệt số 7'));

    // Access: a path prefix without its slash is refused; then granted, shown, revocable.
    await page.selectOption('#a-client', `VN/GOV/${member}/motcua`);
    await page.fill('#a-prefix', 'persons');
    await submitForm(page, 'form[action$="/access"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('path_prefix'));
    await page.selectOption('#a-client', `VN/GOV/${member}/motcua`);
    await page.selectOption('#a-method', 'GET');
    await page.fill('#a-prefix', '/persons');
    await submitForm(page, 'form[action$="/access"]');
    assert.ok((await page.locator('#rights').textContent()).includes(`${member}/motcua`));

    // Its settings change on the same page: a timeout that is not a number is refused, a good
    // one saved and kept in the history.
    assert.equal(await page.inputValue('#v-timeout'), '30000', 'the settings as they stand');
    await page.fill('#v-timeout', 'năm giây');
    await submitForm(page, 'form[aria-labelledby=settings]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('timeout_ms'));
    await page.fill('#v-timeout', '5000');
    await submitForm(page, 'form[aria-labelledby=settings]');
    assert.equal(await page.inputValue('#v-timeout'), '5000');
    assert.ok((await page.locator('#history').textContent()).includes('đổi thiết lập: timeout_ms'));
    await mainPage(page, 'lgsp-service');

    // The calling subsystem's page: its settings, its calls per day.
    await page.goto(`${BASE_URL}/admin/lgsp/subsystems/VN/GOV/${member}/motcua`);
    await page.fill('#e-quota', 'năm trăm');
    await submitForm(page, 'form[aria-labelledby=edit]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('calls_per_day'));
    await page.fill('#e-quota', '800');
    await submitForm(page, 'form[aria-labelledby=edit]');
    assert.ok((await notice(page)).length > 0);
    assert.equal(await page.inputValue('#e-quota'), '800');
    assert.equal(await page.locator('svg').count() >= 1, true, 'the calls-per-day chart');
    await mainPage(page, 'lgsp-subsystem');

    // A service bridged to SOAP: the namespace is required, then the bridge shows on its page.
    await page.goto(`${BASE_URL}/admin/lgsp/registry`);
    await page.selectOption('#v-provider', `VN/GOV/${member}/dancu`);
    await page.fill('#v-code', 'congdan-soap');
    await page.fill('#v-name', 'Tra cứu công dân qua SOAP');
    await page.fill('#v-upstream', 'http://127.0.0.1:9/soap');
    await page.selectOption('#v-soap', 'soap_to_rest');
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('soap.namespace'));
    assert.equal(await page.inputValue('#v-soap'), 'soap_to_rest', 'the form comes back as sent');
    await page.fill('#v-soap-ns', 'urn:thu-nghiem:congdan');
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    const soap = await page.locator('#soap').textContent();
    assert.ok(soap.includes('SOAP 1.1') && soap.includes('urn:thu-nghiem:congdan'), soap);

    // A SOAP service registered with its WSDL: version and namespace left to the description,
    // whose operations then show on the service's page.
    const wsdl = await readFile(new URL('../../crates/lgsp/src/soap/testdata/hotich.wsdl', import.meta.url), 'utf8');
    await page.goto(`${BASE_URL}/admin/lgsp/registry`);
    await page.selectOption('#v-provider', `VN/GOV/${member}/dancu`);
    await page.fill('#v-code', 'hotich-wsdl');
    await page.fill('#v-name', 'Tra cứu khai sinh (WSDL)');
    await page.fill('#v-upstream', 'http://127.0.0.1:9/hotich');
    await page.selectOption('#v-kind', 'wsdl');
    await page.fill('#v-description', wsdl.replace('tns:KetQua"', 'tns:KhongCo"'));
    await page.selectOption('#v-soap', 'rest_to_soap');
    assert.equal(await page.inputValue('#v-soap-version'), '', 'the version defaults to the description\'s');
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('KhongCo'), 'the missing type is named');
    assert.ok((await page.inputValue('#v-description')).includes('HoTichService'), 'the description comes back as sent');
    await page.fill('#v-description', wsdl);
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    const operations = await page.locator('#soap-operations').textContent();
    assert.ok(operations.includes('TraCuu') && operations.includes('http://hotich.gov.vn/ws/TraCuuKhaiSinh') && operations.includes('GhiNhan'), operations);
    assert.ok((await page.locator('#soap').textContent()).includes('http://hotich.gov.vn/ws'));
    await mainPage(page, 'lgsp-service-wsdl');

    // A JSON service offered to SOAP clients, its operations read from its OpenAPI description
    // (YAML here): the page lists them and says SOAP clients get the WSDL from getWsdl.
    await page.goto(`${BASE_URL}/admin/lgsp/registry`);
    await page.selectOption('#v-provider', `VN/GOV/${member}/dancu`);
    await page.fill('#v-code', 'congdan-openapi');
    await page.fill('#v-name', 'Tra cứu công dân (OpenAPI)');
    await page.fill('#v-upstream', 'http://127.0.0.1:9/api');
    await page.selectOption('#v-kind', 'openapi');
    await page.fill('#v-description', [
      'openapi: 3.0.3',
      'paths:',
      '  /TraCuu:',
      '    post:',
      '      requestBody:',
      '        content:',
      '          application/json:',
      '            schema: {type: object, required: [soDinhDanh], properties: {soDinhDanh: {type: string}, namSinh: {type: integer}}}',
      '',
    ].join('\n'));
    await page.selectOption('#v-soap', 'soap_to_rest');
    await page.fill('#v-soap-ns', 'urn:thu-nghiem:congdan');
    await submitForm(page, 'form[action="/admin/lgsp/registry/services"]');
    const fromOpenapi = await page.locator('#soap-operations').textContent();
    assert.ok(fromOpenapi.includes('urn:thu-nghiem:congdan/TraCuu') && fromOpenapi.includes('soDinhDanh*'), fromOpenapi);
    assert.ok((await page.locator('main h3').allTextContents()).some((h) => h.includes('getWsdl')));
    await mainPage(page, 'lgsp-service-openapi');

    // Another province's gateway trusted for the member, listed, then no longer trusted.
    const peer = `lgsp-tinh-ban-${n}-${process.pid}`;
    await page.goto(`${BASE_URL}/admin/lgsp/registry`);
    await page.fill('#p-name', 'LGSP tỉnh bạn');
    await page.fill('#p-client', peer);
    await page.selectOption('#p-member', `VN/GOV/${member}`);
    await submitForm(page, 'form[action="/admin/lgsp/registry/peers"]');
    assert.ok((await notice(page)).includes('LGSP tỉnh bạn'));
    assert.ok((await page.locator('#peers').textContent()).includes(peer));
    await mainPage(page, 'lgsp-registry');
    await submitForm(page, `#peers tr:has-text("${peer}") form`);
    assert.ok(!(await page.locator('#peers').textContent()).includes(peer));

    // The demo's file replica of national data: a bad directory is refused with the form kept;
    // importing now shows the sample file's import (whether the schedule got there first or not).
    await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/admin/lgsp/replicas"]')]);
    await page.fill('#r-name', 'Bản sao thử');
    await page.fill('#r-dir', '/khong/co/thu-muc');
    await page.selectOption('#r-registry', 'ho-kinh-doanh/1');
    await submitForm(page, 'form[action="/admin/lgsp/replicas"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('directory'));
    assert.equal(await page.inputValue('#r-dir'), '/khong/co/thu-muc');
    await submitForm(page, 'section.replica form');
    assert.ok((await notice(page)).length > 0);
    const imports = await page.locator('table.imports').first().textContent();
    assert.ok(imports.includes('2026-11-01-ho-kinh-doanh.json') && imports.includes('Đã nhập'), imports);
    assert.ok((await page.locator('section.replica .last-run').first().textContent()).includes('xong'), 'the last run went through');
    await mainPage(page, 'lgsp-replicas');

    // Pub/sub for the operators: the demo's room publishes dossier status changes as
    // `dossier-status` events; the page lists the event type with its subscriptions (none yet)
    // and the dead letters (none).
    await page.goto(`${BASE_URL}/admin`);
    await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/admin/lgsp/events"]')]);
    const types = await page.locator('table.subscriptions tbody').textContent();
    assert.ok(types.includes('dossier-status') && types.includes('VN/GOV/000.00.00.H99/lgsp'), types);
    assert.ok((await page.locator('table.dead tbody').textContent()).includes('Không có thư chết'));
    await mainPage(page, 'lgsp-events');

    // The message log's archives on the monitoring page: a day after today is refused with
    // the reason; an old day archives nothing and says so.
    await page.goto(`${BASE_URL}/admin/lgsp`);
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await page.fill('#archive-before', later);
    await submitForm(page, 'form[action="/admin/lgsp/log/archive"]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes(later));
    assert.equal(await page.inputValue('#archive-before'), later);
    await page.fill('#archive-before', '2020-01-01');
    await submitForm(page, 'form[action="/admin/lgsp/log/archive"]');
    assert.ok((await notice(page)).includes('2020-01-01'));
    assert.ok((await page.locator('table.archives').textContent()).includes('Chưa lưu trữ'));
    await mainPage(page, 'lgsp-monitoring-archives');

    // The monitoring figures download as a CSV a spreadsheet opens: a byte order mark, then
    // the header row in the page's language.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('main a[href*="monitoring.csv"][href*="by=service"]')]);
    assert.match(download.suggestedFilename(), /^lgsp-theo-dich-vu-24h-.*\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\uFEFFDịch vụ,Trao đổi,Lỗi,'), csv.slice(0, 80));

    // Manual entry into the same registry: a bad code is refused with the form kept; a good
    // record is listed, changed on its page, then deleted.
    await page.goto(`${BASE_URL}/admin`);
    await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/admin/registries"]')]);
    await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/admin/registries/ho-kinh-doanh/1"]')]);
    const code = `HKD-${n}${process.pid % 1000}`;
    await page.fill('[id="f.MaSo"]', 'sai mã');
    await page.fill('[id="f.TenHo"]', 'Tạp hoá Cô Ba');
    await page.fill('[id="f.ChuHo"]', 'Lê Thị Ba');
    await submitForm(page, 'form[aria-labelledby=record-form]');
    assert.ok((await page.locator('div.err[role=alert]').textContent()).includes('MaSo'));
    assert.equal(await page.inputValue('[id="f.TenHo"]'), 'Tạp hoá Cô Ba');
    await page.fill('[id="f.MaSo"]', code);
    await submitForm(page, 'form[aria-labelledby=record-form]');
    assert.ok((await notice(page)).includes(code));
    await page.fill('#q', 'Cô Ba');
    await Promise.all([page.waitForLoadState('load'), page.click('form[role=search] button')]);
    assert.ok((await page.locator('table[aria-labelledby=records]').textContent()).includes('Tạp hoá Cô Ba'));
    await Promise.all([page.waitForLoadState('load'), page.click(`a[href$="/records/${code}"]`)]);
    assert.equal(await page.inputValue('[id="f.ChuHo"]'), 'Lê Thị Ba');
    await page.fill('[id="f.NganhNghe"]', 'Bán lẻ tạp hoá');
    await submitForm(page, 'form[aria-labelledby=record-form]');
    assert.ok((await notice(page)).includes(code));
    assert.equal(await page.inputValue('[id="f.NganhNghe"]'), 'Bán lẻ tạp hoá');
    await mainPage(page, 'registry-record');
    await submitForm(page, `form[action$="/records/${code}/delete"]`);
    assert.ok((await notice(page)).includes(code));
    assert.ok(!(await page.locator('table[aria-labelledby=records]').textContent()).includes(code));
  } finally {
    await ctx.close();
  }
});
