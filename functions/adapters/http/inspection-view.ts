import type { InspectionRecord } from '../../core/inspection';

/** An inspection as the API shows it: the record, plus the anomaly mask inline so a page can overlay it. */
export type InspectionView = InspectionRecord & { anomalyMaskDataUrl?: string };

/** The API view of a record; the mask PNG, when given, becomes a data URL. */
export function toInspectionView(record: InspectionRecord, anomalyMask?: Uint8Array): InspectionView {
  if (!anomalyMask) return record;
  return { ...record, anomalyMaskDataUrl: `data:image/png;base64,${Buffer.from(anomalyMask).toString('base64')}` };
}
