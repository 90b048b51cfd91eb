// Opens the leaderboard page (StatsPage) in Debian's Chromium, posts a game
// through SendResult, and waits for the page to show its winner without a
// reload: node stats_page.mjs <page-url> <send-result-url> <game-json>
// [screenshot.png]. Prints "ok", or what went wrong, and exits 1.
import { chromium } from "playwright-core";

const [pageUrl, sendUrl, gameJson, screenshot] = process.argv.slice(2);
const game = JSON.parse(gameJson);
const GUARD_MS = 60000; // a hang guard, not a timing requirement

function fail(message) {
  console.log(message);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.GB_CHROMIUM || "/usr/bin/chromium",
  // This machine has no outside network: no background lookups.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 620 } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  const response = await page.goto(pageUrl);
  if (response.status() !== 200) fail(`page: ${response.status()}`);
  const daily = page.locator('section[data-period="Daily"]');
  await daily.locator("h2").waitFor({ timeout: GUARD_MS });
  if ((await daily.getByText(game.WinnerEmail).count()) !== 0)
    fail("the winner is on the page before its game was posted");

  const posted = await fetch(sendUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(game),
  });
  if (posted.status !== 202) fail(`SendResult: ${posted.status}`);

  for (const period of ["Daily", "Weekly", "Monthly"])
    await page.locator(`section[data-period="${period}"] td`, { hasText: game.WinnerEmail })
      .waitFor({ timeout: GUARD_MS });
  if (problems.length) fail(problems.join("\n"));
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log("ok");
} finally {
  await browser.close();
}
