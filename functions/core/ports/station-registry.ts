import type { Station } from '../station-registry';

/** Where stations come from (DynamoDB in production). */
export interface StationRegistry {
  /** The station with this id, or undefined when the registry has none. */
  getStation(stationId: string): Promise<Station | undefined>;
}

/** The station an alert belongs to: the registry's entry, or the one default station when there is no registry. */
export type StationLookup = (stationId: string) => Promise<Station | undefined>;

/** Every station, for people choosing one (the page's station picker). */
export interface StationCatalogue {
  listStations(): Promise<Station[]>;
}
