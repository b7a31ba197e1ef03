/** Tells people that an alert reached nobody (SNS in production): the ladder ran out, or no call could start. */
export interface AlertNotifier {
  alertNotDelivered(notice: {
    inspectionId: string;
    stationId: string;
    stationName: string;
    status: 'unacknowledged' | 'failed';
    reason: string;
  }): Promise<void>;
}
