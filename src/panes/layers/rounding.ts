// The weight-rounding choices as the Layers and Search panes offer them (document: WeightRounding).
import type { WeightRounding } from '../../state/document';

export const ROUNDING_OPTIONS: readonly { id: WeightRounding; label: string }[] = [
  { id: 'nearest', label: 'round to nearest' },
  { id: 'gptq', label: 'GPTQ' },
];
