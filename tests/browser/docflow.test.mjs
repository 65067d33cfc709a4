// Browser tests of the document management pages (quản lý văn bản) against `tinhso demo`
// (started by scripts/browser-test): the clerk registers a document typed in and finds it in
// the register; a letter of the Department of Justice is drafted with its PDF, submitted,
// signed, issued, arrives at Thái An ward through the exchange, is registered, assigned,
// handled and completed there, and every status comes back to the department. Every page:
// no serious axe violation, under 100 KB before images, screenshots at 1280 and 360 px.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BASE_URL, mainPage, noSeriousAxeViolations, shoot, signIn, submitForm, chromiumForTests } from './helpers.mjs';

const WARD = '000.00.51.H99';
const browser = chromiumForTests();
let pdf;

before(async () => {
  pdf = path.join(os.tmpdir(), `cong-van-${process.pid}.pdf`);
  await writeFile(pdf, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
});

async function notice(page) {
  return (await page.locator('p.ok[role=status]').textContent()).trim();
}

/// Posts the step form `action` of a document's page and waits for the page again.
async function act(page, action) {
  await submitForm(page, `form:has(input[name=action][value=${action}])`);
  const err = page.locator('p.err[role=alert]');
  assert.equal(await err.count(), 0, `${action}: ${(await err.count()) ? await err.first().textContent() : ''}`);
}

/// The value beside a label of the document's facts.
async function fact(page, label) {
  return (await page.locator(`dl.facts dt:text-is("${label}") + dd`).textContent()).trim();
}

/// Opens the document a list links with `subject`.
async function open(page, subject) {
  await Promise.all([page.waitForLoadState('load'), page.locator(`table a:text-is("${subject}")`).first().click()]);
}

/// Reloads `url` until `ready(page)` holds (the exchange worker runs every 2 s).
async function pollUntil(page, url, ready, what) {
  for (let i = 0; i < 40; i++) {
    await page.goto(url);
    if (await ready(page)) return;
    await page.waitForTimeout(1000);
  }
  assert.fail(`never happened: ${what}`);
}

async function signInAgain(ctx, page, login, withCode = false) {
  await ctx.clearCookies();
  await signIn(page, login, withCode);
}

test('the clerk registers a document typed in, finds it without marks and downloads the register', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  const subject = `Giấy mời họp tổng kết công tác năm ${process.pid}`;
  try {
    await signIn(page, 'vanthu.stp');
    await Promise.all([page.waitForLoadState('load'), page.click('nav a[href="/documents"]')]);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/documents/incoming/new"]')]);
    await mainPage(page, 'document-new-incoming');
    // Problems come back beside their fields, with what was typed.
    await page.selectOption('#kind', '23');
    await page.fill('#sender_name', '   ');
    await page.fill('#code_number', '15');
    await page.fill('#code_notation', 'GM-UBND');
    await page.fill('#subject', subject);
    await submitForm(page, 'form[action="/documents/incoming/new"]');
    assert.ok((await page.locator('#sender_name-err').textContent()).trim().length > 0, 'the sender is named');
    assert.equal(await page.inputValue('#subject'), subject, 'the subject is kept');
    assert.equal(await page.inputValue('#kind'), '23', 'the kind is kept');
    await noSeriousAxeViolations(page);
    await shoot(page, 'document-new-incoming-problems');
    // Right, with the scan: it is numbered and its page opens.
    await page.fill('#sender_name', 'UBND huyện Đông Hải');
    await page.setInputFiles('#file', pdf);
    await page.click('form[action="/documents/incoming/new"] button[type=submit]');
    await page.waitForURL((u) => u.searchParams.get('ok') === 'registered', { timeout: 30_000 });
    assert.ok((await notice(page)).includes('vào sổ'));
    assert.match(await fact(page, 'Số đến'), /^\d+\/\d{4} — Sổ văn bản đến$/);
    assert.equal(await page.locator('a[href*="/files/"]').count(), 1, 'the scan is there');
    // Found in the register with words typed without marks; the register downloads as .xlsx.
    await page.goto(`${BASE_URL}/documents`);
    await page.fill('#q', `giay moi hop tong ket ${process.pid}`);
    await submitForm(page, 'form[role=search]');
    assert.equal(await page.locator(`table a:text-is("${subject}")`).count(), 1);
    await mainPage(page, 'documents-register');
    const xlsx = await page.request.get(BASE_URL + (await page.locator('a[href^="/documents/export"]').getAttribute('href')));
    assert.equal(xlsx.status(), 200);
    assert.equal(xlsx.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  } finally {
    await ctx.close();
  }
});

test('a letter goes from the department to the ward, is handled there, and every status comes back', { timeout: 240_000 }, async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  const subject = `Về việc phối hợp rà soát thủ tục hành chính ${process.pid}`;
  try {
    // 1. The specialist drafts the letter to the ward with its PDF, then submits it.
    await signIn(page, 'chuyenvien.stp');
    await page.goto(`${BASE_URL}/documents?direction=outgoing`);
    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/documents/outgoing/new"]')]);
    await page.fill('#subject', subject);
    await page.check(`input[name=recipients][value="${WARD}"]`);
    await page.fill('#signer_position', 'Giám đốc');
    await mainPage(page, 'document-new-outgoing');
    await page.setInputFiles('#file', pdf);
    await page.click('form[action="/documents/outgoing/new"] button[type=submit]');
    await page.waitForURL((u) => u.searchParams.get('ok') === 'drafted', { timeout: 30_000 });
    assert.ok((await notice(page)).includes('dự thảo'));
    const letter = new URL(page.url()).pathname;
    assert.equal(await page.locator('a[href*="/files/"]').count(), 1, 'the PDF is on the draft');
    await act(page, 'submit');
    assert.ok((await notice(page)).includes('trình ký'));

    // 2. The leader finds it waiting for the signature and approves.
    await signInAgain(ctx, page, 'lanhdao.stp', true);
    await page.goto(`${BASE_URL}/documents/inbox`);
    await mainPage(page, 'documents-inbox-leader');
    await open(page, subject);
    await act(page, 'approve');
    assert.ok((await notice(page)).includes('ký duyệt'));

    // 3. The clerk issues it: number and notation shown.
    await signInAgain(ctx, page, 'vanthu.stp');
    await page.goto(`${BASE_URL}${letter}`);
    await act(page, 'issue');
    assert.ok((await notice(page)).includes('phát hành'));
    assert.match(await fact(page, 'Số, ký hiệu'), /^\d+\/STP$/);
    await mainPage(page, 'document-issued');

    // 4. The ward's clerk finds it arrived (reloading while the exchange runs) and registers it.
    await signInAgain(ctx, page, 'vanthu.pta');
    await pollUntil(page, `${BASE_URL}/documents/inbox`, async (p) => (await p.locator(`table a:text-is("${subject}")`).count()) > 0, 'the letter arrives');
    await mainPage(page, 'documents-inbox-clerk');
    await page.goto(`${BASE_URL}/documents`);
    assert.ok((await page.locator('p.doc-note').textContent()).includes('chờ vào sổ'), 'the arrivals are counted');
    await open(page, subject);
    const arrived = new URL(page.url()).pathname;
    await act(page, 'accept');
    assert.match(await fact(page, 'Số đến'), /^\d+\/\d{4}/);

    // 5. The ward's leader assigns it to the specialist with a deadline.
    await signInAgain(ctx, page, 'lanhdao.pta', true);
    await page.goto(`${BASE_URL}${arrived}`);
    await page.selectOption('.doc-handler:has(label:text-is("Đặng Thị Lý")) select', 'main');
    await page.fill('#assign-deadline', '2030-01-15');
    await page.fill('#assign-note', 'Tham mưu trả lời');
    await mainPage(page, 'document-assign');
    await act(page, 'assign');
    assert.ok((await notice(page)).includes('phân công'));

    // 6. The specialist writes an opinion and completes it.
    await signInAgain(ctx, page, 'chuyenvien.pta');
    await page.goto(`${BASE_URL}/documents/inbox`);
    assert.ok((await page.locator('section.doc-section').first().textContent()).includes('15/01/2030'), 'the deadline is shown');
    await open(page, subject);
    await page.fill('#opinion-note', 'Đã nghiên cứu, đề xuất thực hiện');
    await act(page, 'opinion');
    await page.fill('#complete-note', 'Đã triển khai');
    await act(page, 'complete');
    assert.ok((await notice(page)).includes('hoàn thành'));

    // 7. Back at the department: the ward reported 06, and the history lists 01, 03, 04, 05, 06.
    await signInAgain(ctx, page, 'chuyenvien.stp');
    await pollUntil(page, `${BASE_URL}${letter}`, async (p) => (await p.locator('td:text-is("06 — Hoàn thành")').count()) > 0, 'status 06 comes back');
    const history = await page.locator('ol.doc-history').textContent();
    for (const code of ['01', '03', '04', '05', '06']) assert.ok(history.includes(`${code} — `), `${code} in the history`);
    await mainPage(page, 'document-history');
  } finally {
    await ctx.close();
  }
});

test('the drafter changes a draft\'s subject and recipients before submitting it', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  const subject = `Về việc lấy ý kiến dự thảo quy chế (${Date.now()})`;
  try {
    await signIn(page, 'chuyenvien.stp');
    await page.goto(`${BASE_URL}/documents/outgoing/new`);
    await page.fill('#subject', subject);
    await page.check(`input[name=recipients][value="${WARD}"]`);
    await page.setInputFiles('#file', pdf);
    await page.click('form[action="/documents/outgoing/new"] button[type=submit]');
    await page.waitForURL((u) => u.searchParams.get('ok') === 'drafted', { timeout: 30_000 });
    const letter = new URL(page.url()).pathname;

    // The draft's form, as the draft stands; one more recipient and a clearer subject.
    await Promise.all([page.waitForLoadState('load'), page.click(`a[href="${letter}/edit"]`)]);
    assert.equal(await page.inputValue('#subject'), subject);
    assert.ok(await page.isChecked(`input[name=recipients][value="${WARD}"]`));
    await mainPage(page, 'document-edit');
    const province = await page.locator('input[name=recipients]').evaluateAll((xs) => xs.map((x) => x.value).find((v) => v === '000.00.00.H99'));
    assert.ok(province, 'the province is among the recipients offered');
    await page.check(`input[name=recipients][value="${province}"]`);
    await page.fill('#subject', `${subject}, lần 2`);
    await submitForm(page, `form[action="${letter}/edit"]`);
    assert.equal(new URL(page.url()).pathname, letter);
    assert.equal(await notice(page), 'Đã lưu các thay đổi của dự thảo.');
    assert.equal((await page.locator('h1').textContent()).trim(), `${subject}, lần 2`);
    assert.equal(await page.locator('section[aria-labelledby=h-recipients] tbody tr').count(), 2, 'two recipients now');
    assert.ok((await page.locator('section[aria-labelledby=h-history]').textContent()).includes('Sửa dự thảo'), 'the history says so');
  } finally {
    await ctx.close();
  }
});
