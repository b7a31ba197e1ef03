/** Tells people that an alert reached nobody (SNS in production): the ladder ran out, or no call could start. */
export interface AlertNotifier {
  alertNotDelivered(notice: {
    inspectionId: string;
    stationId: string;
    stationName: string;
    status: 'unacknowledged' | 'failed';
    reason: string;
  }): Promise<void>;

  /**
   * A daily call cap refused a call for the first time today: the station's own cap, or the ceiling over all stations.
   * Sent once per limit and day; every alert it stops is also told through alertNotDelivered.
   */
  callCapReached(notice: {
    limit: 'station' | 'all-stations';
    stationId: string;
    stationName: string;
    cap: number;
    dayUtc: string;
    inspectionId: string;
  }): Promise<void>;
}
