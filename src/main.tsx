/** Page entry: theme and URL sync start before the first render, so a shared link never flashes defaults. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { startUrlSync } from './app/urlSync';
import { startTheme } from './ui/theme';
import './ui/theme.css';
import './ui/layout.css';

startTheme();
startUrlSync();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
