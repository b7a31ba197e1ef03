import type { InspectionRecord } from '../inspection';
import type { InspectionFilter } from '../inspection-query';

/** One request for a page of the inspection history. */
export interface InspectionPageQuery {
  /** At most this many records in the page. */
  limit: number;
  filter: InspectionFilter;
  /** The `next` of the previous page, unchanged; absent for the first page. */
  cursor?: string;
}

/** A page of the history, newest first. */
export interface InspectionPage {
  records: InspectionRecord[];
  /**
   * Where the next page starts (opaque), or undefined when the history has no more for this filter. A page may be
   * shorter than the limit, even empty, while `next` is set: each page reads a bounded number of records.
   */
  next?: string;
  /** How many records were read to make this page (matching or not). */
  scanned: number;
}

/** The inspection history, newest first, filtered and paged (the S3 inspection store in production). */
export interface InspectionHistory {
  /**
   * A page of the records passing the filter. Throws MalformedRequestError (naming `cursor`) for a cursor it did not
   * make, or one made for another filter.
   */
  pageRecords(query: InspectionPageQuery): Promise<InspectionPage>;
}
