/** Inline SVG icons (no icon font, no network): 16 px, stroke = currentColor. */
import type { ReactNode } from 'react';

function Icon({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      {children}
    </svg>
  );
}

export const icons = {
  explorer: (
    <Icon size={18}>
      <path d="M2 13h12" />
      <path d="M3.5 13V9M6 13V5M8.5 13V7M11 13V3M13.5 13V10" />
    </Icon>
  ),
  graph: (
    <Icon size={18}>
      <rect x="5.5" y="1.5" width="5" height="3" rx="0.8" />
      <rect x="1.5" y="11.5" width="5" height="3" rx="0.8" />
      <rect x="9.5" y="11.5" width="5" height="3" rx="0.8" />
      <path d="M8 4.5v3M4 11.5v-2h8v2" />
    </Icon>
  ),
  layers: (
    <Icon size={18}>
      <path d="M8 2 14 5 8 8 2 5z" />
      <path d="m2 8 6 3 6-3M2 11l6 3 6-3" />
    </Icon>
  ),
  search: (
    <Icon size={18}>
      <path d="M2 14V2M2 14h12" />
      <circle cx="5" cy="5" r="0.9" fill="currentColor" />
      <circle cx="7.5" cy="8" r="0.9" fill="currentColor" />
      <circle cx="11" cy="10" r="0.9" fill="currentColor" />
      <path d="M4 4.5c1.5 3 4 5.5 9 6.5" strokeDasharray="1.5 1.5" />
    </Icon>
  ),
  verilog: (
    <Icon size={18}>
      <rect x="3.5" y="3.5" width="9" height="9" rx="1" />
      <path d="M6 1.5v2M10 1.5v2M6 12.5v2M10 12.5v2M1.5 6h2M1.5 10h2M12.5 6h2M12.5 10h2" />
    </Icon>
  ),
  terminal: (
    <Icon size={18}>
      <rect x="1.5" y="2.5" width="13" height="11" rx="1.2" />
      <path d="m4 6 2 2-2 2M8 10.5h4" />
    </Icon>
  ),
  help: (
    <Icon>
      <circle cx="8" cy="8" r="6.5" />
      <path d="M6.2 6.2a1.9 1.9 0 1 1 2.6 1.8c-.5.2-.8.6-.8 1.1v.4" />
      <circle cx="8" cy="11.6" r="0.4" fill="currentColor" />
    </Icon>
  ),
  sun: (
    <Icon>
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1v1.5M8 13.5V15M1 8h1.5M13.5 8H15M3 3l1 1M12 12l1 1M3 13l1-1M12 4l1-1" />
    </Icon>
  ),
  moon: (
    <Icon>
      <path d="M13.5 9.5A6 6 0 0 1 6.5 2.5a6 6 0 1 0 7 7z" />
    </Icon>
  ),
  link: (
    <Icon>
      <path d="M6.5 9.5a3 3 0 0 0 4.2 0l2.3-2.3a3 3 0 0 0-4.2-4.2l-.9.9" />
      <path d="M9.5 6.5a3 3 0 0 0-4.2 0L3 8.8A3 3 0 0 0 7.2 13l.9-.9" />
    </Icon>
  ),
  undo: (
    <Icon>
      <path d="M5 3 2 6l3 3" />
      <path d="M2 6h7.5a4 4 0 0 1 0 8H7" />
    </Icon>
  ),
  redo: (
    <Icon>
      <path d="m11 3 3 3-3 3" />
      <path d="M14 6H6.5a4 4 0 0 0 0 8H9" />
    </Icon>
  ),
  dice: (
    <Icon>
      <rect x="2" y="2" width="12" height="12" rx="2.5" />
      <circle cx="5.5" cy="5.5" r="0.8" fill="currentColor" />
      <circle cx="10.5" cy="10.5" r="0.8" fill="currentColor" />
      <circle cx="8" cy="8" r="0.8" fill="currentColor" />
    </Icon>
  ),
  download: (
    <Icon>
      <path d="M8 2v8M4.5 6.5 8 10l3.5-3.5M2.5 13.5h11" />
    </Icon>
  ),
  close: (
    <Icon>
      <path d="m4 4 8 8M12 4l-8 8" />
    </Icon>
  ),
  play: (
    <Icon>
      <path d="M4.5 3v10l8-5z" />
    </Icon>
  ),
};

/** The product mark: a block of elements sharing one scale. */
export function Logo({ size = 20 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 20 20" aria-hidden="true">
      <rect x="1" y="1" width="18" height="18" rx="4" fill="var(--accent)" opacity="0.16" />
      <rect x="1" y="1" width="18" height="4.5" rx="2" fill="var(--accent)" />
      {[0, 1, 2, 3].map((i) => (
        <rect key={i} x={3 + i * 3.8} y={8 + (i % 2) * 2} width="2.6" height={9 - (i % 2) * 2 - 1} rx="0.8" fill="var(--accent)" opacity={0.55 + i * 0.12} />
      ))}
    </svg>
  );
}
