/**
 * Theme resolution: the session's choice ('system' by default) against prefers-color-scheme, applied
 * as data-theme on <html> so the chrome and the d3 plots (which read CSS variables) switch together.
 */
import { sessionStore, type ThemeChoice } from '../state/session';

export type Theme = 'dark' | 'light';

function systemTheme(): Theme {
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function resolveTheme(choice: ThemeChoice): Theme {
  return choice === 'system' ? systemTheme() : choice;
}

/** Apply now, and keep applying on session changes and OS theme changes. Returns an unsubscribe. */
export function startTheme(): () => void {
  const apply = () => {
    document.documentElement.dataset.theme = resolveTheme(sessionStore.getState().theme);
  };
  apply();
  const unsub = sessionStore.subscribe(apply);
  const mq = matchMedia('(prefers-color-scheme: light)');
  mq.addEventListener('change', apply);
  return () => {
    unsub();
    mq.removeEventListener('change', apply);
  };
}

/** The toggle: flip the resolved theme and remember it as an explicit choice. */
export function toggleTheme(): void {
  const now = resolveTheme(sessionStore.getState().theme);
  sessionStore.setState({ theme: now === 'dark' ? 'light' : 'dark' });
}
