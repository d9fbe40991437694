// Drives the Commons web UI in Debian's Chromium: two people register, log
// out and in, create and join a community, and switch to Swedish.
//
// Run with the built binary:
//   COMMONS_BIN=target/debug/commons node --test tests/browser/
// The binary is started as `$COMMONS_BIN serve --data-dir <tmp> --listen
// 127.0.0.1:0` and must print `listening on http://ADDR` on stdout.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';

let server;
let dataDir;
let base;
let browser;

before(async () => {
  const bin = process.env.COMMONS_BIN;
  assert.ok(bin, 'set COMMONS_BIN to the built commons binary');
  dataDir = mkdtempSync(join(tmpdir(), 'commons-browser-'));
  server = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: server.stdout });
    lines.on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`commons serve exited with ${code} before listening`)));
    server.once('error', reject);
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function newPage() {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    locale: 'en-US',
  });
  return context.newPage();
}

async function register(page, name) {
  await page.goto(`${base}/register`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${base}/communities`);
}

/** Every visible form control has a label the accessibility tree uses. */
async function assertAccessible(page) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, [], 'inputs without a label');
  assert.equal(await page.getByRole('main').count(), 1, 'one main landmark');
  assert.equal(await page.getByRole('banner').count(), 1, 'one header landmark');
  assert.equal(await page.getByRole('contentinfo').count(), 1, 'one footer landmark');
  assert.ok(await page.locator('html').getAttribute('lang'), 'html has lang');
}

test('register, log out and in, create and join a community, switch language', async () => {
  const alice = await newPage();

  await alice.goto(`${base}/`);
  assert.equal(await alice.locator('html').getAttribute('lang'), 'en');
  await assertAccessible(alice);

  // A too-short password is reported inline and the name is kept.
  await alice.goto(`${base}/register`);
  await assertAccessible(alice);
  await alice.getByLabel('Name', { exact: true }).fill('alice');
  await alice.getByLabel('Password', { exact: true }).fill('short');
  await alice.getByLabel('Repeat the password').fill('short');
  await alice.getByRole('button', { name: 'Create account' }).click();
  await alice.getByText('The password must have at least 10 characters.').waitFor();
  assert.equal(await alice.getByLabel('Name', { exact: true }).inputValue(), 'alice');

  await register(alice, 'alice');
  await alice.getByRole('button', { name: 'Log out' }).click();
  await alice.waitForURL(`${base}/`);
  await alice.getByRole('link', { name: 'Log in' }).first().waitFor();

  // A wrong password is reported inline; the right one logs in.
  await alice.goto(`${base}/login`);
  await assertAccessible(alice);
  await alice.getByLabel('Name', { exact: true }).fill('alice');
  await alice.getByLabel('Password', { exact: true }).fill('not the password');
  await alice.getByRole('button', { name: 'Log in' }).click();
  await alice.getByText('Wrong name or password.').waitFor();
  await alice.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await alice.getByRole('button', { name: 'Log in' }).click();
  await alice.waitForURL(`${base}/communities`);

  // Create a community and open it.
  await assertAccessible(alice);
  await alice.getByLabel('Name', { exact: true }).fill('garden');
  await alice.getByLabel('Rules').selectOption('open');
  await alice.getByRole('button', { name: 'Create community' }).click();
  await alice.waitForURL(/\/c\/[0-9a-f]{32}$/);
  const communityUrl = alice.url();
  await alice.getByRole('heading', { level: 1, name: 'garden' }).waitFor();
  await assertAccessible(alice);
  const members = alice.locator('section', { has: alice.getByRole('heading', { name: /^Members/ }) });
  await members.getByText('alice').waitFor();
  await alice.getByRole('cell', { name: 'community.create' }).waitFor();
  if (process.env.COMMONS_SCREENSHOT) {
    await alice.screenshot({ path: process.env.COMMONS_SCREENSHOT, fullPage: true });
  }

  // A second person joins with the button and sees themself listed.
  const bob = await newPage();
  await register(bob, 'bob');
  await bob.goto(communityUrl);
  await bob.getByRole('button', { name: 'Join' }).click();
  await bob.waitForURL(communityUrl);
  const bobsMembers = bob.locator('section', { has: bob.getByRole('heading', { name: 'Members (2)' }) });
  await bobsMembers.getByText('bob').waitFor();
  await bob.getByRole('button', { name: 'Leave' }).waitFor();

  // A form without the right CSRF token is refused.
  const forged = await bob.request.post(`${communityUrl}/leave`, {
    form: { csrf: 'forged' },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);

  // The footer's switcher turns the page Swedish.
  await bob.getByLabel('Language').selectOption('sv');
  await bob.getByRole('button', { name: 'Change language' }).click();
  await bob.waitForURL(communityUrl);
  assert.equal(await bob.locator('html').getAttribute('lang'), 'sv');
  await bob.getByRole('heading', { name: 'Medlemmar (2)' }).waitFor();
  await bob.getByRole('button', { name: 'Lämna' }).waitFor();
  await assertAccessible(bob);
});

test('an admin invites, promotes and changes the rules; a moderator approves a join', async () => {
  const admin = await newPage();
  await register(admin, 'ada');
  await admin.getByLabel('Name', { exact: true }).fill('workshop');
  await admin.getByLabel('Rules').selectOption('invite-only');
  await admin.getByRole('button', { name: 'Create community' }).click();
  await admin.waitForURL(/\/c\/[0-9a-f]{32}$/);
  const communityUrl = admin.url();
  await assertAccessible(admin);

  const carol = await newPage();
  await register(carol, 'carol');

  // Ada invites carol by name; carol's join then goes straight through.
  await admin.getByLabel('Invite someone').fill('carol');
  await admin.getByRole('button', { name: 'Send invitation' }).click();
  await admin.waitForURL(communityUrl);
  await admin.getByRole('cell', { name: 'community.invite' }).waitFor();
  await carol.goto(communityUrl);
  await carol.getByRole('button', { name: 'Ask to join' }).click();
  await carol.waitForURL(communityUrl);
  await carol.getByText('Your role: Member.').waitFor();

  // Ada makes carol a moderator and opens joins to approval.
  await admin.reload();
  await admin.getByLabel('Role of carol').selectOption('moderator');
  await admin.getByRole('listitem').filter({ hasText: 'carol' }).getByRole('button', { name: 'Change role' }).click();
  await admin.waitForURL(communityUrl);
  await admin.getByLabel('Who can join').selectOption('approval');
  await admin.getByLabel('Net votes to accept a contribution').fill('3');
  await admin.getByRole('button', { name: 'Save rules' }).click();
  await admin.waitForURL(communityUrl);
  await admin.locator('dl.facts').getByText('Moderators approve who joins.').waitFor();

  // Dave asks to join; carol, now a moderator, approves him.
  const dave = await newPage();
  await register(dave, 'dave');
  await dave.goto(communityUrl);
  await dave.getByRole('button', { name: 'Ask to join' }).click();
  await dave.waitForURL(communityUrl);
  await dave.getByText('Your request to join is waiting for approval.').waitFor();
  await carol.reload();
  await carol.getByText('Your role: Moderator.').waitFor();
  await assertAccessible(carol);
  await carol.getByRole('listitem').filter({ hasText: 'dave' }).getByRole('button', { name: 'Approve' }).click();
  await carol.waitForURL(communityUrl);
  await dave.reload();
  await dave.getByText('Your role: Member.').waitFor();

  // A member who is not an admin cannot change the rules, even by hand.
  const csrf = await dave.locator('input[name="csrf"]').first().inputValue();
  const refused = await dave.request.post(`${communityUrl}/policy`, {
    form: { csrf, join: 'open', votes_to_accept: '1', expert_approval: '', invite: 'member' },
    maxRedirects: 0,
  });
  assert.equal(refused.status(), 422);
  assert.match(await refused.text(), /at least admin is required/);
  const unknown = await dave.request.post(`${communityUrl}/members/promote`, {
    form: { csrf, member: 'dave' },
    maxRedirects: 0,
  });
  assert.equal(unknown.status(), 400);
});

test('the language switcher works when logged out', async () => {
  const visitor = await newPage();
  await visitor.goto(`${base}/login`);
  await visitor.getByLabel('Language').selectOption('sv');
  await visitor.getByRole('button', { name: 'Change language' }).click();
  await visitor.waitForURL(`${base}/login`);
  await visitor.getByRole('heading', { level: 1, name: 'Logga in' }).waitFor();
  assert.equal(await visitor.locator('html').getAttribute('lang'), 'sv');
});
