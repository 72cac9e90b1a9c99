/**
 * The studio's Playwright `test`: every test fails on an uncaught page error or a console error (a
 * crashed worker logs one), and pages render in the dark theme (the README screenshots; the app
 * follows prefers-color-scheme). model.spec.ts extends the same idea with allowed 404s.
 */
import { expect, test as base } from '@playwright/test';

export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      await use(errors);
      expect(errors).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
