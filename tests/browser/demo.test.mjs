// The demo province's dossiers as its users first meet them after `tinhso demo`: an applicant
// asked for a supplement sees what to add and where to hand it in; an applicant whose result
// was returned downloads it; officials find work waiting in their inbox. Other tests add
// dossiers of their own meanwhile, so this one looks for the demo's, not for counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, noSeriousAxeViolations, signIn, chromiumForTests } from './helpers.mjs';

const browser = chromiumForTests();

/// Opens the signed-in applicant's dossier of the procedure named `name`, from their list.
async function openOwn(page, name) {
  await page.goto(`${BASE_URL}/dossiers`);
  const row = page.locator('tr', { hasText: name }).first();
  await Promise.all([page.waitForLoadState('load'), row.locator('a').click()]);
  assert.match(new URL(page.url()).pathname, /^\/dossiers\/[^/]+$/);
}

test('the demo applicant asked for a supplement sees what is missing', async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  try {
    await signIn(page, '094300001122');
    await openOwn(page, 'Phiếu lý lịch tư pháp');
    const missing = await page.locator('#missing li').allTextContents();
    assert.deepEqual(missing, ['Bản sao Căn cước công dân còn hạn, rõ nét', 'Tờ khai có chữ ký của người yêu cầu']);
    const reason = await page.locator('section[aria-labelledby=missing-title] p').textContent();
    assert.ok(reason.includes('Bản sao giấy tờ tùy thân bị mờ'), `the reason is shown too: ${reason}`);
    assert.equal(await page.locator('form:has(input[name=action][value=supplement]) button[type=submit]').count(), 1, 'a way to hand it in');
    await noSeriousAxeViolations(page);
  } finally {
    await ctx.close();
  }
});

test('the demo applicant downloads the returned birth certificate', async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  try {
    await signIn(page, '001090012345');
    await openOwn(page, 'Đăng ký khai sinh');
    assert.equal(await page.locator('#missing').count(), 0, 'nothing is asked of a finished dossier');
    assert.ok((await page.locator('dl.facts').first().textContent()).includes('5/5'), 'the rating is shown');
    const link = page.locator('ul.files a', { hasText: 'giay-khai-sinh.pdf' });
    const href = await link.getAttribute('href');
    const r = await page.request.get(`${BASE_URL}${href}`);
    assert.equal(r.status(), 200);
    assert.ok((await r.body()).subarray(0, 5).equals(Buffer.from('%PDF-')));
  } finally {
    await ctx.close();
  }
});

test('the demo officials find work waiting in their inboxes', async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  try {
    // The ward's head of department: the walk-in marriage registration to review.
    await signIn(page, 'truongphong.pta', true);
    await page.goto(`${BASE_URL}/dossiers`);
    const tasks = page.locator('table:has(caption) tbody tr');
    assert.ok(await tasks.filter({ hasText: 'Đăng ký kết hôn' }).count() >= 1, 'the review task is listed');
    await Promise.all([page.waitForLoadState('load'), tasks.filter({ hasText: 'Đăng ký kết hôn' }).first().locator('a').click()]);
    assert.ok((await page.locator('dl.facts').first().textContent()).includes('Phạm Minh Đức'));
    const outcomes = await page.locator('form:has(input[value=complete]) select[name=outcome] option').evaluateAll((o) => o.map((x) => x.value));
    assert.deepEqual(outcomes.sort(), ['done', 'returned']);
  } finally {
    await ctx.close();
  }
});

test('the demo shows a dossier overdue at the department and one due soon', async () => {
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  const due = async () => (await page.locator('dl.facts dt:text-is("Ngày hẹn trả") + dd').textContent()).trim();
  try {
    // The head of department's "Quá hạn" view: the walk-in judicial record never checked.
    await signIn(page, 'truongphong.stp', true);
    await page.goto(`${BASE_URL}/dossiers?view=overdue`);
    const late = page.locator('table:has(caption) tbody tr', { hasText: 'Phiếu lý lịch tư pháp' });
    assert.ok(await late.count() >= 1, 'listed as overdue');
    await Promise.all([page.waitForLoadState('load'), late.first().locator('a').click()]);
    assert.equal((await page.locator('dl.facts dt:text-is("Người nộp") + dd').textContent()).trim(), 'Đỗ Văn Hùng');
    assert.match(await due(), /quá hạn$/);
    await ctx.clearCookies();

    // Trần Thị Bình's accepted dossier falls due tomorrow, and her page says so.
    await signIn(page, '079185004321');
    await openOwn(page, 'Đang xử lý');
    assert.match(await due(), /sắp đến hạn$/);
  } finally {
    await ctx.close();
  }
});
