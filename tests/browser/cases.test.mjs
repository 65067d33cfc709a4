// Internal processes from the officer workspace: a specialist of the Department of Justice
// opens an outgoing-document case from the navigation, sees each mistake named beside its
// field, opens it, completes the drafting step on the case's page and finds it at the next
// step in the agency's list. Pages: no serious axe violation, under 100 KB before images,
// screenshots at 1280 and 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, mainPage, noSeriousAxeViolations, signIn, submitForm, chromiumForTests } from './helpers.mjs';

const browser = chromiumForTests();

async function fact(page, label) {
  return (await page.locator(`dl.facts dt:text-is("${label}") + dd`).textContent()).trim();
}

test('a specialist opens an internal case and completes its first step', async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  const subject = `Về việc rà soát thủ tục hành chính năm 2027 (${Date.now()})`;
  try {
    await signIn(page, 'chuyenvien.stp');
    await Promise.all([page.waitForLoadState('load'), page.click('nav.nav a[href="/cases"]')]);
    assert.equal(await page.locator('h1').textContent(), 'Việc nội bộ');
    await mainPage(page, 'cases');

    await Promise.all([page.waitForLoadState('load'), page.click('a[href="/cases/new/outgoing_document"]')]);
    await mainPage(page, 'case-new');
    // The browser's own checks set aside, to see the server's: each mistake beside its field.
    await page.fill('#subject', subject);
    await page.fill('#f-summary', 'Đề nghị các phòng rà soát, báo cáo trước ngày 15.');
    await page.evaluate(() => { document.querySelector('form[action^="/cases/new/"]').noValidate = true; });
    await submitForm(page, 'form[action^="/cases/new/"]');
    assert.ok(await page.locator('p.err[role=alert]').count() >= 1, 'the form says something is wrong');
    assert.equal((await page.locator('#e-doc_type').textContent()).trim(), 'bắt buộc (required)');
    assert.equal((await page.locator('#e-recipients').textContent()).trim(), 'bắt buộc (required)');
    assert.equal(await page.inputValue('#subject'), subject, 'what was typed is kept');
    assert.equal(await page.inputValue('#f-summary'), 'Đề nghị các phòng rà soát, báo cáo trước ngày 15.');

    await page.fill('#f-doc_type', 'Công văn');
    await page.fill('#f-recipients', 'Các phòng chuyên môn\nUBND các phường, xã');
    await submitForm(page, 'form[action^="/cases/new/"]');
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/[^/]+$/);
    const opened = (await page.locator('p.ok[role=status]').textContent()).trim();
    assert.match(opened, /^Đã mở việc NB-000\.00\.13\.H99-\d{6}-\d{4}\.$/);
    assert.equal(await fact(page, 'Quy trình nội bộ'), 'Soạn thảo, ký ban hành văn bản đi');
    assert.equal(await fact(page, 'Trích yếu'), subject);
    assert.equal(await fact(page, 'Nơi nhận'), 'Các phòng chuyên môn; UBND các phường, xã');
    assert.ok((await fact(page, 'Trạng thái')).includes('Chuyên viên soạn thảo'));
    await noSeriousAxeViolations(page);

    // The draft done: the case goes on to the head of department.
    await submitForm(page, 'form:has(input[name=action][value=complete])');
    assert.equal(await page.locator('p.err[role=alert]').count(), 0);
    assert.ok((await fact(page, 'Trạng thái')).includes('Lãnh đạo phòng kiểm tra'));

    await page.goto(`${BASE_URL}/cases`);
    const row = page.locator('tr', { hasText: subject });
    assert.equal(await row.count(), 1, 'listed once');
    assert.ok((await row.textContent()).includes('Lãnh đạo phòng kiểm tra'), 'at its new step');
  } finally {
    await ctx.close();
  }
});
