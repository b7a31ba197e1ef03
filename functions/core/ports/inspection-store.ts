import type { InspectionRecord, InspectionStatus } from '../inspection';
import type { ValidatedWaferImage } from '../wafer-image';

/** Stores wafer images, their anomaly masks and inspection records (S3 in production). */
export interface InspectionStore {
  /** Write the accepted image bytes under `key` with its provenance as metadata. */
  putImage(key: string, image: ValidatedWaferImage, metadata: { inspectionId: string; stationId: string; source: string }): Promise<void>;
  /** Write an anomaly mask PNG under `key`. */
  putMask(key: string, png: Uint8Array): Promise<void>;
  /** Create or replace an inspection record. */
  putRecord(record: InspectionRecord): Promise<void>;
  /** The record for an id, or undefined when there is none. */
  getRecord(inspectionId: string): Promise<InspectionRecord | undefined>;
  /**
   * Read-modify-write one record without losing a concurrent writer's change: `change` gets the current record
   * (undefined when there is none) and returns the record to store, or undefined to leave it as it is. It is called
   * again with the newer record whenever another writer got in between. Resolves with the record that stands after.
   */
  updateRecord(inspectionId: string, change: (current: InspectionRecord | undefined) => InspectionRecord | undefined): Promise<InspectionRecord | undefined>;
  /** Read a stored object's bytes (images and masks), or undefined when missing. */
  getObject(key: string): Promise<Uint8Array | undefined>;
  /** The most recent records, newest first; with a status, only records with that status. */
  listRecentRecords(limit: number, filter?: { status?: InspectionStatus }): Promise<InspectionRecord[]>;
}
